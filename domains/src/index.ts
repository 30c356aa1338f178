export * from './ledger';
export * as identity from './identity';
