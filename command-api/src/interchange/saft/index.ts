export * from './model';
export { parseSaft, decimalToMinor } from './parse';
export * from './plan';
export { importSaft, SAFT_DEFAULT_APPROVAL_THRESHOLD, type SaftImportOptions } from './import';
export { buildSaft, saftMovementPostings, type SaftExportInput, type SaftExportSummary, type YearMonth } from './build';
export { exportSaft, parseYearMonth, SaftExportError, type SaftExportOptions } from './export';
