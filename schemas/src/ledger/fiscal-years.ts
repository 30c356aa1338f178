import { z } from 'zod';
import { postedLineSchema, LINES_PER_TRANSACTION_MAX } from './transactions';
import {
  accountNumberSchema,
  currencyCodeSchema,
  decimalStringSchema,
  idSchema,
  isoDateSchema,
  minorUnitsSchema,
  nonNegativeDecimalStringSchema,
  REASON_LENGTH_MAX,
  refineAmountPrecision,
  timestampSchema,
} from './primitives';

export const PERIODS_PER_FISCAL_YEAR = 12;
/** Most account balances a CloseFiscalYear command may carry. */
export const CLOSING_BALANCES_MAX = LINES_PER_TRANSACTION_MAX - 2;

export const fiscalYearNumberSchema = z.number().int().min(1900).max(9999);
export const periodNumberSchema = z.number().int().min(1).max(PERIODS_PER_FISCAL_YEAR);

/**
 * A period's state. `open`: anything may post. `soft_locked`: only a user holding an
 * unexpired posting exception may post. `closed`: nothing posts, ever (irreversible).
 */
export const periodStatusSchema = z.enum(['open', 'soft_locked', 'closed']);
export type PeriodStatus = z.infer<typeof periodStatusSchema>;

// ---- command bodies ----------------------------------------------------------------------

export const openFiscalYearBodySchema = z
  .object({
    companyId: idSchema,
    /** The calendar year in which the fiscal year starts; it names the stream. */
    year: fiscalYearNumberSchema,
    /** First month (1–12); 1 for a calendar fiscal year, e.g. 7 for July–June. */
    firstMonth: z.number().int().min(1).max(12).optional(),
    companyCurrency: currencyCodeSchema,
    /** Transactions whose company-currency total exceeds this need approval before posting. */
    approvalThreshold: nonNegativeDecimalStringSchema,
    roundingAccountNumber: accountNumberSchema,
    retainedEarningsAccountNumber: accountNumberSchema,
    openingBalanceAccountNumber: accountNumberSchema,
  })
  .superRefine((body, ctx) => refineAmountPrecision(body.approvalThreshold, body.companyCurrency, ctx, ['approvalThreshold']));
export type OpenFiscalYearBody = z.infer<typeof openFiscalYearBodySchema>;

const periodCommandBodySchema = z.object({ companyId: idSchema, year: fiscalYearNumberSchema, period: periodNumberSchema });

export const softLockPeriodBodySchema = periodCommandBodySchema;
export type SoftLockPeriodBody = z.infer<typeof softLockPeriodBodySchema>;
export const reopenPeriodBodySchema = periodCommandBodySchema;
export type ReopenPeriodBody = z.infer<typeof reopenPeriodBodySchema>;
export const closePeriodBodySchema = periodCommandBodySchema;
export type ClosePeriodBody = z.infer<typeof closePeriodBodySchema>;

export const grantPostingExceptionBodySchema = periodCommandBodySchema.extend({
  /** The user id that may post into the soft-locked period. */
  grantee: z.string().min(1).max(200),
  /** The exception expires at this instant. */
  until: timestampSchema,
  reason: z.string().trim().min(1).max(REASON_LENGTH_MAX),
});
export type GrantPostingExceptionBody = z.infer<typeof grantPostingExceptionBodySchema>;

/** One account's closing balance in company currency: debit minus credit, e.g. "-1250.00". */
export const accountBalanceInputSchema = z.object({ accountNumber: accountNumberSchema, balance: decimalStringSchema });
export type AccountBalanceInput = z.infer<typeof accountBalanceInputSchema>;

export const closeFiscalYearBodySchema = z.object({
  companyId: idSchema,
  year: fiscalYearNumberSchema,
  /** Balances per account at year end in company currency (from the trial balance read model). */
  balances: z.array(accountBalanceInputSchema).max(CLOSING_BALANCES_MAX),
  /** Id of the closing transaction (revenue and expense to retained earnings). */
  closingTransactionId: idSchema,
  /** Id of the opening-balance transaction the next fiscal year will post. */
  openingBalanceTransactionId: idSchema,
});
export type CloseFiscalYearBody = z.infer<typeof closeFiscalYearBodySchema>;

export const postOpeningBalancesBodySchema = z.object({ companyId: idSchema, year: fiscalYearNumberSchema });
export type PostOpeningBalancesBody = z.infer<typeof postOpeningBalancesBodySchema>;

// ---- event data (stream `ledger.fiscal_year-<companyId>-<year>`) -------------------------

export const fiscalYearOpenedSchema = z.object({
  companyId: idSchema,
  year: fiscalYearNumberSchema,
  firstMonth: z.number().int().min(1).max(12),
  startDate: isoDateSchema,
  endDate: isoDateSchema,
  companyCurrency: currencyCodeSchema,
  approvalThresholdMinor: minorUnitsSchema,
  roundingAccountNumber: accountNumberSchema,
  retainedEarningsAccountNumber: accountNumberSchema,
  openingBalanceAccountNumber: accountNumberSchema,
  openedBy: z.string().min(1),
});
export type FiscalYearOpened = z.infer<typeof fiscalYearOpenedSchema>;

export const periodSoftLockedSchema = z.object({ companyId: idSchema, year: fiscalYearNumberSchema, period: periodNumberSchema, lockedBy: z.string().min(1) });
export type PeriodSoftLocked = z.infer<typeof periodSoftLockedSchema>;

export const periodReopenedSchema = z.object({ companyId: idSchema, year: fiscalYearNumberSchema, period: periodNumberSchema, reopenedBy: z.string().min(1) });
export type PeriodReopened = z.infer<typeof periodReopenedSchema>;

export const periodClosedSchema = z.object({ companyId: idSchema, year: fiscalYearNumberSchema, period: periodNumberSchema, closedBy: z.string().min(1) });
export type PeriodClosed = z.infer<typeof periodClosedSchema>;

export const postingExceptionGrantedSchema = z.object({
  companyId: idSchema,
  year: fiscalYearNumberSchema,
  period: periodNumberSchema,
  grantee: z.string().min(1).max(200),
  until: timestampSchema,
  reason: z.string().min(1).max(REASON_LENGTH_MAX),
  grantedBy: z.string().min(1),
  grantedAt: timestampSchema,
});
export type PostingExceptionGranted = z.infer<typeof postingExceptionGrantedSchema>;

/**
 * The fiscal year is closed. The closing transaction (if any P&L account had a balance) was
 * posted just before this event in the same append; `openingBalances` are the lines the
 * next fiscal year posts as its opening-balance transaction.
 */
export const fiscalYearClosedSchema = z.object({
  companyId: idSchema,
  year: fiscalYearNumberSchema,
  closingTransactionId: idSchema.nullable(),
  openingBalances: z
    .object({ transactionId: idSchema, lines: z.array(postedLineSchema).min(2).max(LINES_PER_TRANSACTION_MAX + 1) })
    .nullable(),
  closedBy: z.string().min(1),
});
export type FiscalYearClosed = z.infer<typeof fiscalYearClosedSchema>;
