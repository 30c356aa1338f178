export * from './envelope';
export * as ledger from './ledger';
