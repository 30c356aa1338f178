export * from './definitions';
export * from './instances';
export * from './catalogue';
