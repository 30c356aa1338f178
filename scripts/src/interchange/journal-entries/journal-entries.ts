import { formatMinor } from '@neuroerp/domains';
import type { ledger as wire, RecordedEvent } from '@neuroerp/schemas';
import { csv } from '../csv';
import type { LedgerYear } from '../ledger-year';

/**
 * The journal-entry population auditors test (ISA 240 journal-entry testing): one row per
 * posted line of a fiscal year, with who recorded it and when, whether a person or the
 * system made it, whether it falls at a period end, its reversal links and its approvals.
 */

/** A posting in the last PERIOD_END_DAYS days of its month counts as a period-end entry. */
export const PERIOD_END_DAYS = 3;

/** The user id process managers and the ledger itself act as. */
export const SYSTEM_USER_ID = 'system';

export const JOURNAL_ENTRY_COLUMNS = [
  'fiscal_year',
  'voucher_number',
  'transaction_id',
  'line_number',
  'transaction_type',
  'account_number',
  'side',
  'amount',
  'currency',
  'company_amount',
  'company_currency',
  'line_kind',
  'description',
  'line_text',
  'document_date',
  'posting_date',
  'entry_date',
  'entry_recorded_at',
  'drafted_by',
  'drafted_at',
  'submitted_by',
  'posted_by',
  'source',
  'period_end',
  'reverses_transaction_id',
  'reversed_by_transaction_id',
  'reversal_reason',
  'approvals',
  'approved_by',
  'rejections',
  'posted_under_exception',
  'correlation_id',
  'causation_id',
] as const;

export type JournalEntryColumn = (typeof JOURNAL_ENTRY_COLUMNS)[number];

/** "2026-01-29" is a period-end date when it lies in the last PERIOD_END_DAYS days of January. */
export function isPeriodEndDate(date: string): boolean {
  const [year, month, day] = [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day > lastDay - PERIOD_END_DAYS;
}

/** System: caused by a process manager (a causation id) or made by the system user; manual otherwise. */
export function entrySource(metadata: RecordedEvent['metadata']): 'system' | 'manual' {
  return metadata.causationId !== null || metadata.actor.userId === SYSTEM_USER_ID ? 'system' : 'manual';
}

interface History {
  draftedBy: string;
  draftedAt: string;
  submittedBy: string;
  approvals: string[];
  approvedBy: string[];
  rejections: string[];
  reversedBy: string;
  reversalReason: string;
}

function historyOf(events: readonly RecordedEvent[]): History {
  const history: History = { draftedBy: '', draftedAt: '', submittedBy: '', approvals: [], approvedBy: [], rejections: [], reversedBy: '', reversalReason: '' };
  for (const event of events) {
    const at = event.metadata.recordedAt;
    switch (event.type) {
      case 'ledger.transaction_drafted': {
        const data = event.data as wire.TransactionDrafted;
        history.draftedBy = data.draftedBy;
        history.draftedAt = at;
        break;
      }
      case 'ledger.transaction_submitted':
        history.submittedBy = (event.data as wire.TransactionSubmitted).submittedBy;
        break;
      case 'ledger.transaction_approved': {
        const data = event.data as wire.TransactionApproved;
        history.approvals.push(`${data.approvedBy}@${at}`);
        history.approvedBy.push(data.approvedBy);
        break;
      }
      case 'ledger.transaction_rejected': {
        const data = event.data as wire.TransactionRejected;
        history.rejections.push(`${data.rejectedBy}@${at}: ${data.reason}`);
        break;
      }
      case 'ledger.transaction_reversed': {
        const data = event.data as wire.TransactionReversed;
        history.reversedBy = data.reversalTransactionId;
        history.reversalReason = data.reason;
        break;
      }
      default:
        break;
    }
  }
  return history;
}

/** Rows in JOURNAL_ENTRY_COLUMNS order, one per posted line, in voucher order. */
export function journalEntryRows(year: LedgerYear): string[][] {
  const rows: string[][] = [];
  for (const { posting, recordedAt, metadata } of year.postings) {
    const history = historyOf(year.histories.get(posting.transactionId) ?? []);
    const periodEnd = posting.type === 'closing' || isPeriodEndDate(posting.postingDate);
    const approvedBy = posting.approvedBy ?? history.approvedBy.at(-1) ?? '';
    posting.lines.forEach((line, index) => {
      const row: Record<JournalEntryColumn, string> = {
        fiscal_year: String(posting.fiscalYear),
        voucher_number: String(posting.voucherNumber),
        transaction_id: posting.transactionId,
        line_number: String(index + 1),
        transaction_type: posting.type,
        account_number: line.accountNumber,
        side: line.side,
        amount: formatMinor(BigInt(line.amountMinor), line.currency),
        currency: line.currency,
        company_amount: formatMinor(BigInt(line.companyAmountMinor), posting.companyCurrency),
        company_currency: posting.companyCurrency,
        line_kind: line.kind,
        description: posting.description ?? '',
        line_text: line.text ?? '',
        document_date: posting.documentDate,
        posting_date: posting.postingDate,
        entry_date: recordedAt.slice(0, 10),
        entry_recorded_at: recordedAt,
        drafted_by: history.draftedBy,
        drafted_at: history.draftedAt,
        submitted_by: history.submittedBy,
        posted_by: posting.postedBy,
        source: entrySource(metadata),
        period_end: periodEnd ? 'Y' : 'N',
        reverses_transaction_id: posting.reversesTransactionId ?? '',
        reversed_by_transaction_id: history.reversedBy,
        reversal_reason: posting.reversesTransactionId !== null ? (posting.reason ?? '') : history.reversalReason,
        approvals: history.approvals.join('; '),
        approved_by: approvedBy,
        rejections: history.rejections.join('; '),
        posted_under_exception: posting.postedUnderException ? 'Y' : 'N',
        correlation_id: metadata.correlationId,
        causation_id: metadata.causationId ?? '',
      };
      rows.push(JOURNAL_ENTRY_COLUMNS.map((column) => row[column]));
    });
  }
  return rows;
}

/** The CSV file: header line, then journalEntryRows; comma-separated, '.' decimals. */
export function journalEntriesCsv(year: LedgerYear): string {
  return csv(JOURNAL_ENTRY_COLUMNS, journalEntryRows(year), ',');
}
