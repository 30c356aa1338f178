export * from './ledger';
export * as identity from './identity';
export * as documents from './documents';
export * as workflows from './workflows';
