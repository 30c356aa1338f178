export * from './transaction';
export * from './lines';
