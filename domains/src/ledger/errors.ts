import { DomainError } from '../domain-error';

/**
 * Every code the ledger throws, with what it means. The codes are API: never rename one,
 * only add. Wire-level zod schemas report the same codes in `params.code`.
 */
export const LEDGER_ERROR_CODES = {
  // money
  AMOUNT_INVALID: 'An amount is not a canonical decimal string ("12.50"): no numbers, no exponent, no leading zeros.',
  AMOUNT_PRECISION_EXCEEDED: 'An amount has more decimal places than its currency allows ("1.005" EUR).',
  AMOUNT_NOT_POSITIVE: 'A line amount is zero or negative; the side gives the direction.',
  AMOUNT_TOO_LARGE: 'An amount exceeds the largest amount the ledger represents.',
  CURRENCY_UNKNOWN: 'The currency is not in the ISO 4217 scale table.',
  FX_RATE_INVALID: 'An FX rate is not a positive decimal string, or a company-currency line has a rate other than 1.',
  FX_RATE_PRECISION_EXCEEDED: 'An FX rate has more than FX_RATE_SCALE decimal places.',
  FX_RATE_REQUIRED: 'A line in a foreign currency has no FX rate to the company currency.',
  DATE_INVALID: 'A date is not a real calendar day in the form YYYY-MM-DD.',
  // chart of accounts
  ACCOUNT_NOT_FOUND: 'No account with this number exists in the company chart.',
  ACCOUNT_BLOCKED: 'The account is blocked for posting.',
  ACCOUNT_ARCHIVED: 'The account is archived; it takes no postings and cannot be reopened.',
  ACCOUNT_EXISTS_WITH_DIFFERENT_DATA: 'An account with this number exists with a different definition.',
  ACCOUNT_CURRENCY_MISMATCH: 'The line currency differs from the currency of a single-currency account.',
  DIMENSION_REQUIRED: 'The account requires a dimension (e.g. cost_centre) the line does not carry.',
  CHART_IMPORT_DUPLICATE_ACCOUNT: 'An imported chart lists the same account number twice.',
  COMPANY_MISMATCH: 'The command names a different company than the stream belongs to.',
  // transactions
  TRANSACTION_NOT_FOUND: 'No transaction with this id was drafted.',
  TRANSACTION_EXISTS_WITH_DIFFERENT_DATA: 'A transaction with this id was drafted with different data.',
  TRANSACTION_TYPE_RESERVED: 'Reversal and closing transactions are created by the ledger itself, not drafted.',
  TOO_FEW_LINES: 'A transaction needs at least two lines.',
  TOO_MANY_LINES: 'A transaction has more than LINES_PER_TRANSACTION_MAX lines.',
  UNBALANCED_TRANSACTION: 'Debits and credits differ in a line currency.',
  UNBALANCED_COMPANY_CURRENCY: 'Debits and credits differ in company currency by more than conversion rounding can explain.',
  TRANSACTION_NOT_DRAFT: 'Only a draft can be submitted.',
  TRANSACTION_NOT_SUBMITTED: 'The transaction must be submitted (approval and posting start from there).',
  APPROVER_IS_SUBMITTER: 'Maker and checker must differ: the submitter cannot approve.',
  APPROVAL_REQUIRED: 'The company-currency total is above the approval threshold; approve before posting.',
  APPROVAL_THROUGH_WORKFLOW: 'Above the approval threshold a transaction is approved through its approval workflow (the inbox), not directly.',
  TRANSACTION_ALREADY_POSTED: 'The transaction is posted; posted transactions never change.',
  TRANSACTION_NOT_POSTED: 'Only a posted transaction can be reversed.',
  TRANSACTION_ALREADY_REVERSED: 'The transaction was reversed already; it can be reversed only once.',
  REVERSAL_CANNOT_BE_REVERSED: 'A reversal cannot be reversed; post a new transaction instead.',
  REVERSAL_REASON_REQUIRED: 'A reversal needs a reason.',
  REVERSAL_BEFORE_ORIGINAL: 'A reversal cannot be dated before the transaction it reverses.',
  REVERSAL_NOT_CLAIMED: 'The reversal being posted is not the one recorded on the original transaction.',
  // fiscal years and periods
  FISCAL_YEAR_NOT_OPEN: 'The fiscal year has not been opened.',
  FISCAL_YEAR_EXISTS_WITH_DIFFERENT_DATA: 'The fiscal year was opened with different settings.',
  FISCAL_YEAR_CLOSED: 'The fiscal year is closed; nothing changes in it any more.',
  FISCAL_YEAR_HAS_OPEN_PERIODS: 'Every period must be closed before the fiscal year closes.',
  FISCAL_YEAR_NOT_CONSECUTIVE: 'Opening balances come from the immediately preceding fiscal year only.',
  PREVIOUS_FISCAL_YEAR_NOT_CLOSED: 'Opening balances are posted only after the previous fiscal year closed.',
  POSTING_DATE_OUTSIDE_FISCAL_YEAR: 'The posting date does not fall into this fiscal year.',
  PERIOD_SOFT_LOCKED: 'The period is soft-locked and the poster holds no unexpired posting exception.',
  PERIOD_CLOSED: 'The period is closed; nothing posts into it, ever.',
  PERIOD_NOT_SOFT_LOCKED: 'Only a soft-locked period can be reopened or get a posting exception.',
  PERIOD_CLOSE_OUT_OF_ORDER: 'Periods close in order: every earlier period must be closed first.',
  POSTING_EXCEPTION_REQUIRES_ADMIN: 'Only an admin may grant a posting exception.',
  POSTING_EXCEPTION_INVALID_WINDOW: 'A posting exception must end after it is granted and within the maximum duration.',
  VOUCHER_NUMBERS_EXHAUSTED: 'The fiscal year reached VOUCHER_NUMBER_MAX postings.',
  TRIAL_BALANCE_UNBALANCED: 'The closing balances do not sum to zero.',
  BALANCE_DUPLICATE_ACCOUNT: 'The closing balances list an account twice.',
} as const;

export type LedgerErrorCode = keyof typeof LEDGER_ERROR_CODES;

/**
 * Codes of the approval workflow (issue 4): rejection and approved hashes. Kept apart from
 * LEDGER_ERROR_CODES because command-api's LEDGER_ERROR_STATUS table must list every code
 * there; until it takes these in, their HTTP status follows domainErrorStatus's shape rule (422).
 */
export const LEDGER_APPROVAL_ERROR_CODES = {
  REJECTION_REASON_REQUIRED: 'A rejection needs a non-empty reason.',
  APPROVED_HASH_MISMATCH: 'The hash the approver approved is not the hash of the transaction draft as it is now.',
} as const;

export type LedgerApprovalErrorCode = keyof typeof LEDGER_APPROVAL_ERROR_CODES;

/** Throws the DomainError for `code`; the return type lets callers write `return fail(...)`. */
export function fail(code: LedgerErrorCode | LedgerApprovalErrorCode, message: string, details: Record<string, string | number | boolean | null> = {}): never {
  throw new DomainError<LedgerErrorCode | LedgerApprovalErrorCode>(code, message, details);
}
