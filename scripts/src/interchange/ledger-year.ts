import { readChart, readFiscalYear, readTransactionStream, type ChartAccount, type RecordedPosting } from '@neuroerp/command-api';
import type { EventStore } from '@neuroerp/infra';
import type { ledger as wire, RecordedEvent } from '@neuroerp/schemas';

/**
 * One fiscal year of a company as the auditor exports need it: the chart, the fiscal year's
 * postings (the book of record) and the history of every posted transaction (drafted,
 * submitted, approved, rejected, reversed, each with its actor and time). Read from the
 * streams, not the read models, so an export never lags behind the log.
 */
export interface LedgerYear {
  companyId: string;
  year: number;
  settings: wire.FiscalYearOpened;
  closed: wire.FiscalYearClosed | null;
  accounts: ChartAccount[];
  /** In voucher order. */
  postings: RecordedPosting[];
  /** Events of each posted transaction's own stream (empty for ledger-made transactions such as the year-end closing). */
  histories: ReadonlyMap<string, RecordedEvent[]>;
}

/** The fiscal year is not there to export. */
export class FiscalYearNotFoundError extends Error {
  readonly code = 'FISCAL_YEAR_NOT_FOUND';
  constructor(companyId: string, year: number) {
    super(`Company ${companyId} has no fiscal year ${year}.`);
    this.name = 'FiscalYearNotFoundError';
  }
}

export async function readLedgerYear(store: EventStore, companyId: string, year: number, onProgress?: (done: number, total: number) => void): Promise<LedgerYear> {
  const book = await readFiscalYear(store, companyId, year);
  if (book.settings === null) throw new FiscalYearNotFoundError(companyId, year);
  const accounts = await readChart(store, companyId);
  const postings = [...book.postings].sort((a, b) => a.posting.voucherNumber - b.posting.voucherNumber);
  const histories = new Map<string, RecordedEvent[]>();
  for (const [index, recorded] of postings.entries()) {
    histories.set(recorded.posting.transactionId, await readTransactionStream(store, recorded.posting.transactionId));
    onProgress?.(index + 1, postings.length);
  }
  return { companyId, year, settings: book.settings, closed: book.closed, accounts, postings, histories };
}
