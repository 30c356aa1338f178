export * from './port';
export * from './errors';
export * from './hash-chain';
export * from './validation';
export * from './test-support';
export * from './verify-log';
export * from './seal-verification';
export * from './postgres/test-database';
