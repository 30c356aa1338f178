export { LedgerCommands, type LedgerCommandsOptions, ifMatchHolds, transactionEtag, versionEtag, type CommandOutcome, type IfMatch } from './commands';
export { createLedgerRouter, ledgerRoutes, commandContext, draftTransactionRequestSchema, type LedgerRoute, type LedgerRouterOptions } from './routes';
export { chartModel, fiscalYearModel, transactionModel, fiscalYearOfDate, readPosting, streams as ledgerStreams, type FiscalYearStreamState } from './streams';
export * from './views';
export { createLedgerCommandHandler } from './handler';
export { transactionDraftHash } from './hash';
export { PeriodSealer, computeSealBody, readUpToClose, sealsModel, type PeriodSealerOptions, type SealOutcome } from './seals';
export { loadSealKey, findSealKey, createSealKeysRouter, sealKeysDocument, sealVerificationKeys, SEAL_KEY_FILE, SEAL_KEYS_PATH, SealKeyError, type SealKey, type LoadedSealKey } from './seal-keys';
export {
  buildInalterabilityReport,
  createInalterabilityReportRouter,
  inalterabilityReportCsv,
  INALTERABILITY_REPORT_PATH,
  type InalterabilityReport,
  type InalterabilityReportOptions,
  type SealReportEntry,
} from './inalterability-report';
