export * from './currencies';
export * from './primitives';
export * from './accounts';
export * from './transactions';
export * from './fiscal-years';
export * from './seals';
export * from './catalogue';
