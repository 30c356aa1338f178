import type { ledger as wire } from '@neuroerp/schemas';
import { assertAccountAcceptsLine, type ChartOfAccountsState } from './accounts/chart-of-accounts';
import { fail } from './errors';
import {
  approvalThresholdMinor,
  assertSameCompany,
  openedSettings,
  reservePostingSlot,
  nextVoucherNumber,
  type FiscalYearState,
} from './fiscal-years/fiscal-year';
import { companyDebitTotalMinor, mirrorLines, toPostedLines } from './transactions/lines';
import type { TransactionState } from './transactions/transaction';
import type { Command, LedgerEvent } from './types';

/**
 * Decisions that read more than one stream but write exactly one. Each is pure: the command
 * handler loads the streams it names, calls the function, and appends the result to the ONE
 * stream given in its doc with that stream's expected version (see ./index.ts).
 */

export type PostTransaction = Command<'PostTransaction', wire.PostTransactionBody>;
export type ReverseTransaction = Command<'ReverseTransaction', wire.ReverseTransactionBody>;
export type PostOpeningBalances = Command<'PostOpeningBalances', wire.PostOpeningBalancesBody>;

type Posted = LedgerEvent<'ledger.transaction_posted'>;

/**
 * Posts a submitted (or approved) transaction. Reads the transaction stream and the chart;
 * appends to the FISCAL-YEAR stream of the posting date (`fiscalYearOf(postingDate)`).
 *
 * Rules: the transaction exists and was never posted; it is at least submitted, and approved
 * when its company-currency total is above the fiscal year's approval threshold (at or
 * below it, submitted → posted directly is allowed); the posting date is in an open period
 * (or a soft-locked one with an unexpired exception for the poster); every line's account
 * exists, is open, accepts the currency and gets its required dimensions; foreign lines are
 * converted with their rate and any rounding difference becomes an explicit rounding line.
 * The voucher number is the fiscal year's next one.
 */
export function decidePost(
  transaction: TransactionState,
  fiscalYear: FiscalYearState,
  chart: ChartOfAccountsState,
  command: PostTransaction,
): [Posted] {
  const { data, metadata } = command;
  const draft = transaction.draft;
  if (draft === null) return fail('TRANSACTION_NOT_FOUND', `Transaction ${data.transactionId} does not exist.`, { transactionId: data.transactionId });
  assertSameCompany(fiscalYear, draft.companyId);
  if (chart.companyId !== null && chart.companyId !== draft.companyId) fail('COMPANY_MISMATCH', 'The chart belongs to another company.', { companyId: draft.companyId });
  const settings = openedSettings(fiscalYear);
  if (fiscalYear.posted.has(draft.transactionId)) {
    return fail('TRANSACTION_ALREADY_POSTED', `Transaction ${draft.transactionId} is posted; posted transactions never change.`, { transactionId: draft.transactionId });
  }
  if (transaction.status === 'draft') return fail('TRANSACTION_NOT_SUBMITTED', 'Submit the transaction before posting it.', { transactionId: draft.transactionId });
  const slot = reservePostingSlot(fiscalYear, draft.postingDate, metadata.actor.userId, metadata.now);
  const lines = toPostedLines(draft.lines, settings.companyCurrency, settings.roundingAccountNumber);
  for (const line of lines) assertAccountAcceptsLine(chart, line);
  const totalMinor = companyDebitTotalMinor(lines);
  if (totalMinor > approvalThresholdMinor(fiscalYear) && transaction.status !== 'approved') {
    return fail('APPROVAL_REQUIRED', 'The transaction is above the approval threshold and needs approval first.', {
      transactionId: draft.transactionId,
      totalMinor: totalMinor.toString(),
      approvalThresholdMinor: settings.approvalThresholdMinor,
    });
  }
  return [
    {
      type: 'ledger.transaction_posted',
      data: {
        companyId: draft.companyId,
        fiscalYear: settings.year,
        period: slot.period,
        voucherNumber: slot.voucherNumber,
        transactionId: draft.transactionId,
        type: draft.type,
        documentDate: draft.documentDate,
        postingDate: draft.postingDate,
        companyCurrency: settings.companyCurrency,
        description: draft.description,
        linkedDocumentIds: draft.linkedDocumentIds,
        lines,
        postedBy: metadata.actor.userId,
        postedAt: metadata.now,
        approvedBy: transaction.approvedBy,
        reversesTransactionId: null,
        reason: null,
        postedUnderException: slot.postedUnderException,
      },
    },
  ];
}

/**
 * Step 1 of a reversal: claims it. Reads the original's transaction stream, the original's
 * `ledger.transaction_posted` event (from the fiscal year it was posted in) and the fiscal
 * year of the reversal's posting date; appends `ledger.transaction_reversed` to the ORIGINAL's
 * TRANSACTION stream. Because that append carries the stream's expected version, an original
 * is reversed at most once even when two reversals race into different fiscal years.
 *
 * The target period is checked here too so that a claim is only made when the reversal can
 * post; step 2 (decidePostReversal) re-checks it atomically on the fiscal-year stream.
 */
export function decideReversal(
  original: TransactionState,
  originalPosting: wire.TransactionPosted | null,
  targetFiscalYear: FiscalYearState,
  command: ReverseTransaction,
): [LedgerEvent<'ledger.transaction_reversed'>] | [] {
  const { data, metadata } = command;
  if (data.reason.trim() === '') return fail('REVERSAL_REASON_REQUIRED', 'A reversal needs a reason.', { transactionId: data.transactionId });
  if (originalPosting !== null && originalPosting.transactionId !== data.transactionId) {
    throw new Error(`Posting of ${originalPosting.transactionId} given for reversal of ${data.transactionId}`);
  }
  if (originalPosting?.type === 'reversal') {
    return fail('REVERSAL_CANNOT_BE_REVERSED', 'A reversal cannot be reversed; post a new transaction instead.', { transactionId: data.transactionId });
  }
  if (original.draft === null) return fail('TRANSACTION_NOT_FOUND', `Transaction ${data.transactionId} does not exist.`, { transactionId: data.transactionId });
  if (originalPosting === null) return fail('TRANSACTION_NOT_POSTED', 'Only a posted transaction can be reversed.', { transactionId: data.transactionId });
  if (original.reversal !== null) {
    if (original.reversal.reversalTransactionId === data.reversalTransactionId && original.reversal.reversalPostingDate === data.postingDate) return [];
    return fail('TRANSACTION_ALREADY_REVERSED', `Transaction ${data.transactionId} was reversed by ${original.reversal.reversalTransactionId}.`, {
      transactionId: data.transactionId,
      reversalTransactionId: original.reversal.reversalTransactionId,
    });
  }
  if (data.postingDate < originalPosting.postingDate) {
    return fail('REVERSAL_BEFORE_ORIGINAL', 'A reversal cannot be dated before the original posting.', { postingDate: data.postingDate, originalPostingDate: originalPosting.postingDate });
  }
  assertSameCompany(targetFiscalYear, originalPosting.companyId);
  if (targetFiscalYear.posted.has(data.reversalTransactionId)) {
    return fail('TRANSACTION_ALREADY_POSTED', `Transaction ${data.reversalTransactionId} is posted already.`, { transactionId: data.reversalTransactionId });
  }
  reservePostingSlot(targetFiscalYear, data.postingDate, metadata.actor.userId, metadata.now);
  return [
    {
      type: 'ledger.transaction_reversed',
      data: {
        transactionId: data.transactionId,
        reversalTransactionId: data.reversalTransactionId,
        reversalPostingDate: data.postingDate,
        reason: data.reason,
        reversedBy: metadata.actor.userId,
      },
    },
  ];
}

/**
 * Step 2 of a reversal: posts it. Reads the original's transaction stream (with the claim
 * from step 1) and the original's posting; appends to the FISCAL-YEAR stream of the
 * reversal's posting date. The reversal mirrors every posted line (rounding line included)
 * with the original amounts and rates, so it cancels the original exactly in every currency.
 * Repeating step 2 after it succeeded is no change (`[]`), so the handler may retry it.
 * Reversals need no approval and skip the blocked-account check: undoing a valid posting
 * must always be possible. They respect closed and soft-locked periods like any posting.
 */
export function decidePostReversal(
  original: TransactionState,
  originalPosting: wire.TransactionPosted | null,
  fiscalYear: FiscalYearState,
  command: ReverseTransaction,
): [Posted] | [] {
  const { data, metadata } = command;
  const claim = original.reversal;
  if (claim === null || claim.reversalTransactionId !== data.reversalTransactionId || claim.reversalPostingDate !== data.postingDate) {
    return fail('REVERSAL_NOT_CLAIMED', 'Record the reversal on the original transaction first.', { transactionId: data.transactionId, reversalTransactionId: data.reversalTransactionId });
  }
  if (originalPosting === null) return fail('TRANSACTION_NOT_POSTED', 'Only a posted transaction can be reversed.', { transactionId: data.transactionId });
  assertSameCompany(fiscalYear, originalPosting.companyId);
  const settings = openedSettings(fiscalYear);
  if (fiscalYear.posted.has(claim.reversalTransactionId)) return [];
  if (fiscalYear.reversedTransactionIds.has(data.transactionId)) {
    return fail('TRANSACTION_ALREADY_REVERSED', `Transaction ${data.transactionId} was reversed already.`, { transactionId: data.transactionId });
  }
  const slot = reservePostingSlot(fiscalYear, claim.reversalPostingDate, metadata.actor.userId, metadata.now);
  return [
    {
      type: 'ledger.transaction_posted',
      data: {
        companyId: originalPosting.companyId,
        fiscalYear: settings.year,
        period: slot.period,
        voucherNumber: slot.voucherNumber,
        transactionId: claim.reversalTransactionId,
        type: 'reversal',
        documentDate: claim.reversalPostingDate,
        postingDate: claim.reversalPostingDate,
        companyCurrency: originalPosting.companyCurrency,
        description: `Reversal of voucher ${originalPosting.voucherNumber}/${originalPosting.fiscalYear}`,
        linkedDocumentIds: originalPosting.linkedDocumentIds,
        lines: mirrorLines(originalPosting.lines),
        postedBy: metadata.actor.userId,
        postedAt: metadata.now,
        approvedBy: null,
        reversesTransactionId: originalPosting.transactionId,
        reason: claim.reason,
        postedUnderException: slot.postedUnderException,
      },
    },
  ];
}

/**
 * Posts the opening balances that the previous fiscal year's close computed. Reads the
 * previous fiscal year; appends to THIS fiscal year's stream. Dated the first day of the
 * year, period 1; a soft-locked period 1 does not stop it (carry-forward is part of the
 * close), a closed one does. Idempotent: once posted, it is no change.
 */
export function decidePostOpeningBalances(previousFiscalYear: FiscalYearState, fiscalYear: FiscalYearState, command: PostOpeningBalances): [Posted] | [] {
  const { data, metadata } = command;
  assertSameCompany(fiscalYear, data.companyId);
  const settings = openedSettings(fiscalYear);
  const previous = previousFiscalYear.closed;
  if (previousFiscalYear.status !== 'closed' || previous === null) {
    return fail('PREVIOUS_FISCAL_YEAR_NOT_CLOSED', 'The previous fiscal year is not closed.', { year: data.year });
  }
  if (previous.companyId !== settings.companyId) return fail('COMPANY_MISMATCH', 'The previous fiscal year belongs to another company.', { companyId: previous.companyId });
  if (previous.year + 1 !== settings.year) return fail('FISCAL_YEAR_NOT_CONSECUTIVE', `Fiscal year ${previous.year} does not precede ${settings.year}.`, { year: settings.year });
  const opening = previous.openingBalances;
  if (opening === null || fiscalYear.posted.has(opening.transactionId)) return [];
  if (fiscalYear.status === 'closed') return fail('FISCAL_YEAR_CLOSED', `Fiscal year ${settings.year} is closed.`, { year: settings.year });
  if (fiscalYear.periods[0]?.status === 'closed') return fail('PERIOD_CLOSED', 'Period 1 is closed.', { period: 1 });
  return [
    {
      type: 'ledger.transaction_posted',
      data: {
        companyId: settings.companyId,
        fiscalYear: settings.year,
        period: 1,
        voucherNumber: nextVoucherNumber(fiscalYear),
        transactionId: opening.transactionId,
        type: 'opening_balance',
        documentDate: settings.startDate,
        postingDate: settings.startDate,
        companyCurrency: settings.companyCurrency,
        description: `Opening balances carried forward from ${previous.year}`,
        linkedDocumentIds: [],
        lines: opening.lines,
        postedBy: metadata.actor.userId,
        postedAt: metadata.now,
        approvedBy: null,
        reversesTransactionId: null,
        reason: null,
        postedUnderException: false,
      },
    },
  ];
}

/**
 * A direct approval (not through the approval workflow) is allowed only at or below the fiscal
 * year's approval threshold (company-currency debit total, as posting computes it); above it,
 * APPROVAL_THROUGH_WORKFLOW: the workflow's process manager approves on its completion.
 */
export function assertDirectApprovalAllowed(draft: NonNullable<TransactionState['draft']>, fiscalYear: FiscalYearState): void {
  const settings = openedSettings(fiscalYear);
  const totalMinor = companyDebitTotalMinor(toPostedLines(draft.lines, settings.companyCurrency, settings.roundingAccountNumber));
  if (totalMinor > approvalThresholdMinor(fiscalYear)) {
    fail('APPROVAL_THROUGH_WORKFLOW', `Transaction ${draft.transactionId} is above the approval threshold: approve it in its approval workflow (the inbox).`, {
      transactionId: draft.transactionId,
      totalMinor: totalMinor.toString(),
      approvalThresholdMinor: settings.approvalThresholdMinor,
    });
  }
}
