import { z } from 'zod';
import {
  accountNumberSchema,
  currencyCodeSchema,
  dimensionsSchema,
  fxRateSchema,
  idSchema,
  isoDateSchema,
  minorUnitsSchema,
  positiveDecimalStringSchema,
  REASON_LENGTH_MAX,
  refineAmountPrecision,
  sideSchema,
  TEXT_LENGTH_MAX,
} from './primitives';

/** Most lines one journal transaction may have (a payroll run is a few hundred). */
export const LINES_PER_TRANSACTION_MAX = 1000;
export const LINKED_DOCUMENTS_MAX = 50;

/**
 * What kind of business fact a transaction records. `reversal` is created only by
 * ReverseTransaction and `closing` only by the year-end close; drafting them directly is
 * rejected with TRANSACTION_TYPE_RESERVED.
 */
export const transactionTypeSchema = z.enum([
  'journal',
  'sales_invoice',
  'purchase_invoice',
  'payment',
  'opening_balance',
  'reversal',
  'fx_revaluation',
  'closing',
]);
export type TransactionType = z.infer<typeof transactionTypeSchema>;

/** A journal line as a client sends it: amount in major units of `currency`, always positive. */
export const transactionLineInputSchema = z
  .object({
    accountNumber: accountNumberSchema,
    side: sideSchema,
    amount: positiveDecimalStringSchema,
    currency: currencyCodeSchema,
    /** Units of company currency per unit of `currency`; omit it for company-currency lines. */
    fxRate: fxRateSchema.optional(),
    dimensions: dimensionsSchema.optional(),
    text: z.string().max(TEXT_LENGTH_MAX).optional(),
  })
  .superRefine((line, ctx) => refineAmountPrecision(line.amount, line.currency, ctx, ['amount']));
export type TransactionLineInput = z.infer<typeof transactionLineInputSchema>;

const linesInputSchema = z
  .array(transactionLineInputSchema)
  .max(LINES_PER_TRANSACTION_MAX)
  .superRefine((lines, ctx) => {
    if (lines.length < 2) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'A transaction needs at least two lines.', params: { code: 'TOO_FEW_LINES' } });
    }
  });

// ---- command bodies ----------------------------------------------------------------------

export const draftTransactionBodySchema = z.object({
  transactionId: idSchema,
  companyId: idSchema,
  type: transactionTypeSchema,
  documentDate: isoDateSchema,
  postingDate: isoDateSchema,
  description: z.string().max(TEXT_LENGTH_MAX).optional(),
  linkedDocumentIds: z.array(idSchema).max(LINKED_DOCUMENTS_MAX).optional(),
  lines: linesInputSchema,
});
export type DraftTransactionBody = z.infer<typeof draftTransactionBodySchema>;

export const submitTransactionBodySchema = z.object({ transactionId: idSchema });
export type SubmitTransactionBody = z.infer<typeof submitTransactionBodySchema>;

/** SHA-256 (64 lower-case hex digits) of the canonical JSON of a transaction's draft: what an approver saw. */
export const transactionHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a transaction hash is 64 lower-case hex digits (SHA-256)');

export const approveTransactionBodySchema = z.object({
  transactionId: idSchema,
  /**
   * The hash of the draft the approver approved. The command API computes the hash of the
   * current draft and refuses a different one (APPROVED_HASH_MISMATCH); the event records it.
   */
  approvedHash: transactionHashSchema.optional(),
});
export type ApproveTransactionBody = z.infer<typeof approveTransactionBodySchema>;

/** A checker refuses a submitted transaction: it returns to draft with the reason. */
export const rejectTransactionBodySchema = z.object({
  transactionId: idSchema,
  reason: z.string().trim().min(1).max(REASON_LENGTH_MAX),
});
export type RejectTransactionBody = z.infer<typeof rejectTransactionBodySchema>;

export const postTransactionBodySchema = z.object({ transactionId: idSchema });
export type PostTransactionBody = z.infer<typeof postTransactionBodySchema>;

export const reverseTransactionBodySchema = z.object({
  /** The posted transaction to reverse. */
  transactionId: idSchema,
  /** The id the reversing transaction is posted under. */
  reversalTransactionId: idSchema,
  /** A date in a period that is open now; the reversal posts there, never into the original's period. */
  postingDate: isoDateSchema,
  reason: z.string().trim().min(1).max(REASON_LENGTH_MAX),
});
export type ReverseTransactionBody = z.infer<typeof reverseTransactionBodySchema>;

// ---- event data --------------------------------------------------------------------------

/** A line as recorded in a draft: amount in minor units of its currency, as an integer string. */
export const draftLineSchema = z.object({
  accountNumber: accountNumberSchema,
  side: sideSchema,
  amountMinor: minorUnitsSchema,
  currency: currencyCodeSchema,
  fxRate: fxRateSchema.nullable(),
  dimensions: z.record(z.string(), z.string()),
  text: z.string().max(TEXT_LENGTH_MAX).nullable(),
});
export type DraftLine = z.infer<typeof draftLineSchema>;

/** Stream `ledger.transaction-<transactionId>`. */
export const transactionDraftedSchema = z.object({
  transactionId: idSchema,
  companyId: idSchema,
  type: transactionTypeSchema,
  documentDate: isoDateSchema,
  postingDate: isoDateSchema,
  description: z.string().max(TEXT_LENGTH_MAX).nullable(),
  linkedDocumentIds: z.array(idSchema).max(LINKED_DOCUMENTS_MAX),
  lines: z.array(draftLineSchema).min(2).max(LINES_PER_TRANSACTION_MAX),
  draftedBy: z.string().min(1),
});
export type TransactionDrafted = z.infer<typeof transactionDraftedSchema>;

export const transactionSubmittedSchema = z.object({ transactionId: idSchema, submittedBy: z.string().min(1) });
export type TransactionSubmitted = z.infer<typeof transactionSubmittedSchema>;

/** `approvedHash` (absent in events recorded before it existed) is the hash of the draft that was approved. */
export const transactionApprovedSchema = z.object({ transactionId: idSchema, approvedBy: z.string().min(1), approvedHash: transactionHashSchema.optional() });
export type TransactionApproved = z.infer<typeof transactionApprovedSchema>;

/** The submitted transaction is back in draft: it may be submitted again (its lines never change). */
export const transactionRejectedSchema = z.object({ transactionId: idSchema, rejectedBy: z.string().min(1), reason: z.string().min(1).max(REASON_LENGTH_MAX) });
export type TransactionRejected = z.infer<typeof transactionRejectedSchema>;

/**
 * Stream `ledger.transaction-<transactionId>` of the ORIGINAL: the original is reversed by
 * `reversalTransactionId`, which posts on `reversalPostingDate`. Appended with the stream's
 * expected version, so an original can be reversed at most once, whatever the fiscal year.
 */
export const transactionReversedSchema = z.object({
  transactionId: idSchema,
  reversalTransactionId: idSchema,
  reversalPostingDate: isoDateSchema,
  reason: z.string().min(1).max(REASON_LENGTH_MAX),
  reversedBy: z.string().min(1),
});
export type TransactionReversed = z.infer<typeof transactionReversedSchema>;

/**
 * A posted line: the amount in its own currency, the rate used and the resulting company-
 * currency amount. `kind: 'rounding'` marks the explicit line that takes the rounding
 * difference of currency conversion.
 */
export const postedLineSchema = draftLineSchema.extend({
  companyAmountMinor: minorUnitsSchema,
  kind: z.enum(['entry', 'rounding']),
});
export type PostedLine = z.infer<typeof postedLineSchema>;

/**
 * Stream `ledger.fiscal_year-<companyId>-<fiscalYear>`: the transaction is in the books
 * with a gapless voucher number. Carries everything a general ledger needs.
 */
export const transactionPostedSchema = z.object({
  companyId: idSchema,
  fiscalYear: z.number().int(),
  period: z.number().int().min(1).max(12),
  voucherNumber: z.number().int().min(1),
  transactionId: idSchema,
  type: transactionTypeSchema,
  documentDate: isoDateSchema,
  postingDate: isoDateSchema,
  companyCurrency: currencyCodeSchema,
  description: z.string().max(TEXT_LENGTH_MAX).nullable(),
  linkedDocumentIds: z.array(idSchema).max(LINKED_DOCUMENTS_MAX),
  lines: z.array(postedLineSchema).min(2).max(LINES_PER_TRANSACTION_MAX + 1),
  postedBy: z.string().min(1),
  postedAt: z.string().datetime({ offset: true }),
  approvedBy: z.string().min(1).nullable(),
  /** Set on a reversal: the transaction it reverses and why. */
  reversesTransactionId: idSchema.nullable(),
  reason: z.string().max(REASON_LENGTH_MAX).nullable(),
  /** True when the period was soft-locked and a posting exception let this posting in. */
  postedUnderException: z.boolean(),
});
export type TransactionPosted = z.infer<typeof transactionPostedSchema>;
