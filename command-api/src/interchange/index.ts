export * from './saft';
export * from './ledger-read';
export { createInterchangeRouter, SAFT_CONTENT_TYPES, SAFT_IMPORT_PATH, type InterchangeRouterOptions } from './routes';
