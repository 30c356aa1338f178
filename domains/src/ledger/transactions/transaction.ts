import type { ledger as wire } from '@neuroerp/schemas';
import { fail } from '../errors';
import { assertNever, type Command, type LedgerEventOf } from '../types';
import { canonicalJson } from '../canonical-json';
import { parseDate } from '../fiscal-years/calendar';
import { toDraftLines } from './lines';

/**
 * A journal transaction before it is in the books: stream `ledger.transaction-<id>`.
 *
 * - *drafted*: lines and dates are recorded; they never change afterwards (a new draft
 *   under the same id with other data is TRANSACTION_EXISTS_WITH_DIFFERENT_DATA).
 * - *submitted*: the maker declares it ready; it may now be posted if it is below the
 *   approval threshold, or approved.
 * - *approved*: a checker other than the submitter agreed, recording the hash of the draft
 *   they approved when the command carries it.
 * - *rejected*: a checker other than the submitter refused it with a reason; the transaction
 *   is a draft again (status 'draft', no submitter) and may be submitted again. Its lines
 *   never change, so a new submission asks for approval of the same draft.
 * - *posted* is NOT recorded here: posting happens on the fiscal-year stream
 *   (`ledger.transaction_posted`), where it is serialized with period closing and the
 *   voucher counter (docs/adr/0004-ledger-aggregates.md).
 * - *reversed*: `ledger.transaction_reversed` on this stream claims the one and only
 *   reversal of this (posted) transaction; see decideReversal in ../posting.ts.
 */

export type TransactionStatus = 'none' | 'draft' | 'submitted' | 'approved';

export interface TransactionState {
  status: TransactionStatus;
  draft: wire.TransactionDrafted | null;
  submittedBy: string | null;
  approvedBy: string | null;
  /** The hash of the draft the approver approved, when the approval recorded it. */
  approvedHash: string | null;
  /** The most recent rejection; kept after a new submission, for the record. */
  rejection: wire.TransactionRejected | null;
  reversal: wire.TransactionReversed | null;
}

/** Types a draft may have; reversal and closing transactions come from the ledger itself. */
export const DRAFTABLE_TYPES: readonly wire.TransactionType[] = ['journal', 'sales_invoice', 'purchase_invoice', 'payment', 'opening_balance', 'fx_revaluation'];

export type DraftTransaction = Command<'DraftTransaction', wire.DraftTransactionBody>;
export type SubmitTransaction = Command<'SubmitTransaction', wire.SubmitTransactionBody>;
export type ApproveTransaction = Command<'ApproveTransaction', wire.ApproveTransactionBody>;
export type RejectTransaction = Command<'RejectTransaction', wire.RejectTransactionBody>;
export type TransactionCommand = DraftTransaction | SubmitTransaction | ApproveTransaction | RejectTransaction;

export type TransactionEvent = LedgerEventOf<
  'ledger.transaction_drafted' | 'ledger.transaction_submitted' | 'ledger.transaction_approved' | 'ledger.transaction_rejected' | 'ledger.transaction_reversed'
>;

export function transactionStreamId(transactionId: string): string {
  return `ledger.transaction-${transactionId}`;
}

export function initialState(): TransactionState {
  return { status: 'none', draft: null, submittedBy: null, approvedBy: null, approvedHash: null, rejection: null, reversal: null };
}

export function decide(command: TransactionCommand, state: TransactionState): TransactionEvent[] {
  const { type, data, metadata } = command;
  const by = metadata.actor.userId;
  switch (type) {
    case 'DraftTransaction': {
      if (!DRAFTABLE_TYPES.includes(data.type)) {
        fail('TRANSACTION_TYPE_RESERVED', `A ${data.type} transaction is created by the ledger, not drafted.`, { type: data.type });
      }
      parseDate(data.documentDate);
      parseDate(data.postingDate);
      const drafted: wire.TransactionDrafted = {
        transactionId: data.transactionId,
        companyId: data.companyId,
        type: data.type,
        documentDate: data.documentDate,
        postingDate: data.postingDate,
        description: data.description ?? null,
        linkedDocumentIds: data.linkedDocumentIds ?? [],
        lines: toDraftLines(data.lines),
        draftedBy: by,
      };
      if (state.draft !== null) {
        // Idempotent create: the same draft again changes nothing, whoever sends it.
        if (sameDraft(state.draft, drafted)) return [];
        return fail('TRANSACTION_EXISTS_WITH_DIFFERENT_DATA', `Transaction ${data.transactionId} was drafted with different data.`, { transactionId: data.transactionId });
      }
      return [{ type: 'ledger.transaction_drafted', data: drafted }];
    }
    case 'SubmitTransaction': {
      assertFound(state, data.transactionId);
      if (state.status === 'submitted') return [];
      if (state.status !== 'draft') return fail('TRANSACTION_NOT_DRAFT', 'Only a draft can be submitted.', { transactionId: data.transactionId, status: state.status });
      return [{ type: 'ledger.transaction_submitted', data: { transactionId: data.transactionId, submittedBy: by } }];
    }
    case 'ApproveTransaction': {
      assertFound(state, data.transactionId);
      if (state.reversal !== null) return fail('TRANSACTION_ALREADY_REVERSED', 'The transaction was reversed.', { transactionId: data.transactionId });
      if (state.status === 'approved') return [];
      if (state.status !== 'submitted') return fail('TRANSACTION_NOT_SUBMITTED', 'Only a submitted transaction can be approved.', { transactionId: data.transactionId, status: state.status });
      if (state.submittedBy === by) return fail('APPROVER_IS_SUBMITTER', 'The submitter cannot approve their own transaction.', { transactionId: data.transactionId, userId: by });
      return [
        {
          type: 'ledger.transaction_approved',
          data: { transactionId: data.transactionId, approvedBy: by, ...(data.approvedHash !== undefined ? { approvedHash: data.approvedHash } : {}) },
        },
      ];
    }
    case 'RejectTransaction': {
      assertFound(state, data.transactionId);
      const reason = data.reason.trim();
      if (reason === '') return fail('REJECTION_REASON_REQUIRED', 'A rejection needs a reason.', { transactionId: data.transactionId });
      if (state.reversal !== null) return fail('TRANSACTION_ALREADY_REVERSED', 'The transaction was reversed.', { transactionId: data.transactionId });
      // Back in draft after a rejection: the same rejection again (a retry) changes nothing.
      if (state.status === 'draft' && state.rejection !== null) return [];
      if (state.status !== 'submitted') return fail('TRANSACTION_NOT_SUBMITTED', 'Only a submitted transaction can be rejected.', { transactionId: data.transactionId, status: state.status });
      if (state.submittedBy === by) return fail('APPROVER_IS_SUBMITTER', 'The submitter cannot reject their own transaction.', { transactionId: data.transactionId, userId: by });
      return [{ type: 'ledger.transaction_rejected', data: { transactionId: data.transactionId, rejectedBy: by, reason } }];
    }
    default:
      return assertNever(type);
  }
}

/** Pure; ignores event types it does not know. */
export function evolve(state: TransactionState, event: { type: string; data: unknown }): TransactionState {
  const known = event as TransactionEvent;
  switch (known.type) {
    case 'ledger.transaction_drafted':
      return { ...state, status: 'draft', draft: known.data };
    case 'ledger.transaction_submitted':
      return { ...state, status: 'submitted', submittedBy: known.data.submittedBy };
    case 'ledger.transaction_approved':
      return { ...state, status: 'approved', approvedBy: known.data.approvedBy, approvedHash: known.data.approvedHash ?? null };
    case 'ledger.transaction_rejected':
      return { ...state, status: 'draft', submittedBy: null, rejection: known.data };
    case 'ledger.transaction_reversed':
      return { ...state, reversal: known.data };
    default:
      return state;
  }
}

function assertFound(state: TransactionState, transactionId: string): void {
  if (state.status === 'none') fail('TRANSACTION_NOT_FOUND', `Transaction ${transactionId} does not exist.`, { transactionId });
}

function sameDraft(a: wire.TransactionDrafted, b: wire.TransactionDrafted): boolean {
  const { draftedBy: _a, ...restA } = a;
  const { draftedBy: _b, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
}

