export * from './runtime';
export * from './store';
export * from './transaction-size';
export * from './invoice-to-transaction';
export * from './transaction-approval';
export * from './process-managers';
export * from './workflow-starter';
export * from './reversal-completion';
