import type { z } from 'zod';
import { accountArchivedSchema, accountBlockedSchema, accountOpenedSchema, accountUnblockedSchema } from './accounts';
import {
  fiscalYearClosedSchema,
  fiscalYearOpenedSchema,
  periodClosedSchema,
  periodReopenedSchema,
  periodSoftLockedSchema,
  postingExceptionGrantedSchema,
} from './fiscal-years';
import { periodSealedSchema } from './seals';
import {
  transactionApprovedSchema,
  transactionDraftedSchema,
  transactionPostedSchema,
  transactionRejectedSchema,
  transactionReversedSchema,
  transactionSubmittedSchema,
} from './transactions';

export interface EventCatalogueEntry {
  schemaVersion: number;
  schema: z.ZodTypeAny;
  /** The stream family the event is appended to. */
  stream: 'ledger.chart_of_accounts' | 'ledger.transaction' | 'ledger.fiscal_year' | 'ledger.seals';
}

/**
 * Every ledger event type with its current schema version and data schema. Event types are
 * past-tense facts, lower-case and dot-separated (the event store's /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/).
 * Changing an event's shape means a new schemaVersion plus an upcaster, never an edit here.
 */
export const ledgerEventCatalogue = {
  'ledger.account_opened': { schemaVersion: 1, schema: accountOpenedSchema, stream: 'ledger.chart_of_accounts' },
  'ledger.account_blocked': { schemaVersion: 1, schema: accountBlockedSchema, stream: 'ledger.chart_of_accounts' },
  'ledger.account_unblocked': { schemaVersion: 1, schema: accountUnblockedSchema, stream: 'ledger.chart_of_accounts' },
  'ledger.account_archived': { schemaVersion: 1, schema: accountArchivedSchema, stream: 'ledger.chart_of_accounts' },
  'ledger.transaction_drafted': { schemaVersion: 1, schema: transactionDraftedSchema, stream: 'ledger.transaction' },
  'ledger.transaction_submitted': { schemaVersion: 1, schema: transactionSubmittedSchema, stream: 'ledger.transaction' },
  'ledger.transaction_approved': { schemaVersion: 1, schema: transactionApprovedSchema, stream: 'ledger.transaction' },
  'ledger.transaction_rejected': { schemaVersion: 1, schema: transactionRejectedSchema, stream: 'ledger.transaction' },
  'ledger.transaction_reversed': { schemaVersion: 1, schema: transactionReversedSchema, stream: 'ledger.transaction' },
  'ledger.transaction_posted': { schemaVersion: 1, schema: transactionPostedSchema, stream: 'ledger.fiscal_year' },
  'ledger.fiscal_year_opened': { schemaVersion: 1, schema: fiscalYearOpenedSchema, stream: 'ledger.fiscal_year' },
  'ledger.period_soft_locked': { schemaVersion: 1, schema: periodSoftLockedSchema, stream: 'ledger.fiscal_year' },
  'ledger.period_reopened': { schemaVersion: 1, schema: periodReopenedSchema, stream: 'ledger.fiscal_year' },
  'ledger.period_closed': { schemaVersion: 1, schema: periodClosedSchema, stream: 'ledger.fiscal_year' },
  'ledger.posting_exception_granted': { schemaVersion: 1, schema: postingExceptionGrantedSchema, stream: 'ledger.fiscal_year' },
  'ledger.fiscal_year_closed': { schemaVersion: 1, schema: fiscalYearClosedSchema, stream: 'ledger.fiscal_year' },
  'ledger.period_sealed': { schemaVersion: 1, schema: periodSealedSchema, stream: 'ledger.seals' },
} as const satisfies Record<string, EventCatalogueEntry>;

export type LedgerEventType = keyof typeof ledgerEventCatalogue;

/** The data type of a ledger event type, as stored (JSON-serialisable: minor units are strings). */
export type LedgerEventData<Type extends LedgerEventType> = z.infer<(typeof ledgerEventCatalogue)[Type]['schema']>;

export function isLedgerEventType(type: string): type is LedgerEventType {
  return Object.prototype.hasOwnProperty.call(ledgerEventCatalogue, type);
}
