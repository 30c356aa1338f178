export { LedgerCommands, ifMatchHolds, transactionEtag, versionEtag, type CommandOutcome, type IfMatch } from './commands';
export { createLedgerRouter, ledgerRoutes, commandContext, draftTransactionRequestSchema, type LedgerRoute, type LedgerRouterOptions } from './routes';
export { chartModel, fiscalYearModel, transactionModel, fiscalYearOfDate, readPosting, streams as ledgerStreams, type FiscalYearStreamState } from './streams';
export * from './views';
export { createLedgerCommandHandler } from './handler';
export { transactionDraftHash } from './hash';
