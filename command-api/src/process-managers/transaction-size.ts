import { fiscalYear, formatMinor, journalTransaction } from '@neuroerp/domains';
import type { ledger as wire } from '@neuroerp/schemas';
import type { StreamReader } from '../command-handling';
import { fiscalYearOfDate, streams } from '../ledger/streams';

/** How large a transaction is for approval, measured as PostTransaction measures it. */
export interface TransactionSize {
  draft: wire.TransactionDrafted;
  state: journalTransaction.TransactionState;
  /** The company-currency debit total, lines converted and rounded as posting does. */
  totalMinor: bigint;
  /** The same as a decimal string in company currency. */
  amount: string;
  /** Above the fiscal year's approval threshold: posting needs an approval first. */
  needsApproval: boolean;
  /** The fiscal year holds its posting already. */
  posted: boolean;
}

/**
 * The transaction and its size against the approval threshold of the fiscal year of its
 * posting date; null when the transaction or that fiscal year does not exist (then nobody can
 * tell whether it needs approval, and posting it would be refused anyway).
 */
export async function transactionSize(reader: StreamReader, transactionId: string): Promise<TransactionSize | null> {
  const stream = streams.transaction(transactionId);
  const transaction = await reader.load(stream.model, stream.streamId);
  const draft = transaction.state.draft;
  if (draft === null) return null;
  const year = await fiscalYearOfDate(reader, draft.companyId, draft.postingDate);
  const settings = year.state.year.settings;
  if (settings === null) return null;
  const lines = journalTransaction.toPostedLines(draft.lines, settings.companyCurrency, settings.roundingAccountNumber);
  const totalMinor = journalTransaction.companyDebitTotalMinor(lines);
  return {
    draft,
    state: transaction.state,
    totalMinor,
    amount: formatMinor(totalMinor, settings.companyCurrency),
    needsApproval: totalMinor > fiscalYear.approvalThresholdMinor(year.state.year),
    posted: year.state.year.posted.has(transactionId),
  };
}
