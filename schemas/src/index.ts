export * from './envelope';
export * as ledger from './ledger';
export * as identity from './identity';
export * as documents from './documents';
export * as workflows from './workflows';
export * as privacy from './privacy';
