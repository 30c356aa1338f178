export * from './ports';
export * from './envelope';
export * from './relay';
export * from './kafkajs';
export * from './in-memory-kafka';
