import { chartOfAccountsStreamId, fiscalYearStreamId, transactionStreamId } from '@neuroerp/domains';
import type { EventStore } from '@neuroerp/infra';
import { ledger as wire, type EventMetadata, type RecordedEvent } from '@neuroerp/schemas';

/**
 * What the auditor exports read: the ledger's own streams, folded here. The fiscal-year
 * stream is the book of record (every `ledger.transaction_posted` with its lines, voucher
 * number and poster), so exports need neither the read models nor a running projection
 * runner, and they never lag behind the log.
 */

/** Events read per call to the store. */
export const EXPORT_READ_PAGE_SIZE = 1000;

export async function readWholeStream(store: EventStore, streamId: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readStream(streamId, { direction: 'forwards', fromVersion: events.length, maxCount: EXPORT_READ_PAGE_SIZE });
    events.push(...page);
    if (page.length < EXPORT_READ_PAGE_SIZE) return events;
  }
}

export interface ChartAccount {
  accountNumber: string;
  name: string;
  type: wire.AccountType;
  status: 'open' | 'blocked' | 'archived';
  openedBy: string;
  openedAt: string;
}

export async function readChart(store: EventStore, companyId: string): Promise<ChartAccount[]> {
  const accounts = new Map<string, ChartAccount>();
  for (const event of await readWholeStream(store, chartOfAccountsStreamId(companyId))) {
    const data = event.data as { accountNumber: string };
    const account = accounts.get(data.accountNumber);
    if (event.type === 'ledger.account_opened') {
      const opened = event.data as wire.AccountOpened;
      accounts.set(opened.accountNumber, { accountNumber: opened.accountNumber, name: opened.name, type: opened.type, status: 'open', openedBy: opened.openedBy, openedAt: event.metadata.recordedAt });
    } else if (account !== undefined && event.type === 'ledger.account_blocked') account.status = 'blocked';
    else if (account !== undefined && event.type === 'ledger.account_unblocked') account.status = 'open';
    else if (account !== undefined && event.type === 'ledger.account_archived') account.status = 'archived';
  }
  return [...accounts.values()].sort((a, b) => a.accountNumber.localeCompare(b.accountNumber));
}

/** A posting as the fiscal year recorded it, with where and when. */
export interface RecordedPosting {
  posting: wire.TransactionPosted;
  /** When the posting event was recorded (the entry date). */
  recordedAt: string;
  metadata: EventMetadata;
  globalPosition: bigint;
}

export interface FiscalYearBook {
  settings: wire.FiscalYearOpened | null;
  postings: RecordedPosting[];
  closed: wire.FiscalYearClosed | null;
}

export async function readFiscalYear(store: EventStore, companyId: string, year: number): Promise<FiscalYearBook> {
  const book: FiscalYearBook = { settings: null, postings: [], closed: null };
  for (const event of await readWholeStream(store, fiscalYearStreamId(companyId, year))) {
    if (event.type === 'ledger.fiscal_year_opened') book.settings = event.data as wire.FiscalYearOpened;
    else if (event.type === 'ledger.fiscal_year_closed') book.closed = event.data as wire.FiscalYearClosed;
    else if (event.type === 'ledger.transaction_posted') {
      book.postings.push({ posting: event.data as wire.TransactionPosted, recordedAt: event.metadata.recordedAt, metadata: event.metadata, globalPosition: event.globalPosition });
    }
  }
  return book;
}

export function readTransactionStream(store: EventStore, transactionId: string): Promise<RecordedEvent[]> {
  return readWholeStream(store, transactionStreamId(transactionId));
}

/** Debit minus credit per account in company currency over the postings: the trial balance. */
export function trialBalance(postings: readonly wire.TransactionPosted[]): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  for (const posting of postings) {
    for (const line of posting.lines) {
      const signed = line.side === 'debit' ? BigInt(line.companyAmountMinor) : -BigInt(line.companyAmountMinor);
      balances.set(line.accountNumber, (balances.get(line.accountNumber) ?? 0n) + signed);
    }
  }
  return balances;
}
