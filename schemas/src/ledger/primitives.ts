import { z } from 'zod';
import { currencyScale, isKnownCurrency } from './currencies';

/**
 * Wire primitives of the ledger. Money never travels as a JSON number: amounts are decimal
 * strings in major units on command bodies ("12.50") and integer strings in minor units in
 * event data (`amountMinor: "1250"`), so that nothing is ever a float and bigints survive
 * JSON. Every custom issue carries `params.code`, the same stable SCREAMING code the domain
 * throws, so the API can answer with one vocabulary whichever layer caught the problem.
 */

/** Longest decimal string accepted (sign, digits and point): far above any real amount, bounded. */
export const DECIMAL_LENGTH_MAX = 40;
/** Decimal places of an FX rate. Rates are exact integers scaled by 10^FX_RATE_SCALE. */
export const FX_RATE_SCALE = 10;
export const ID_LENGTH_MAX = 100;
export const TEXT_LENGTH_MAX = 500;
export const REASON_LENGTH_MAX = 2000;
export const DIMENSIONS_PER_LINE_MAX = 10;

/** Canonical decimal: optional minus, no leading zeros, no exponent, no bare point. */
export const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** Canonical integer, used for minor units in event data. */
export const INTEGER_PATTERN = /^-?(0|[1-9][0-9]*)$/;
export const ISO_DATE_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

/** Number of digits after the decimal point of a string that matches DECIMAL_PATTERN. */
export function decimalPlaces(decimal: string): number {
  const point = decimal.indexOf('.');
  return point === -1 ? 0 : decimal.length - point - 1;
}

const issue = (ctx: z.RefinementCtx, code: string, message: string) =>
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: { code } });

/** A decimal string of any sign (balances, thresholds); precision is checked where the currency is known. */
export const decimalStringSchema = z.string().superRefine((value, ctx) => {
  if (value.length > DECIMAL_LENGTH_MAX || !DECIMAL_PATTERN.test(value)) {
    issue(ctx, 'AMOUNT_INVALID', 'Amount must be a decimal string like "12.50": no exponent, no leading zeros, no number type.');
  }
});

/** A strictly positive decimal string (journal line amounts). */
export const positiveDecimalStringSchema = decimalStringSchema.superRefine((value, ctx) => {
  if (DECIMAL_PATTERN.test(value) && (value.startsWith('-') || /^0(\.0+)?$/.test(value))) {
    issue(ctx, 'AMOUNT_NOT_POSITIVE', 'Amount must be greater than zero; use the side (debit/credit) for the direction.');
  }
});

/** A non-negative decimal string (thresholds). */
export const nonNegativeDecimalStringSchema = decimalStringSchema.superRefine((value, ctx) => {
  if (DECIMAL_PATTERN.test(value) && value.startsWith('-') && !/^-0(\.0+)?$/.test(value)) {
    issue(ctx, 'AMOUNT_NOT_POSITIVE', 'Amount must not be negative.');
  }
});

/** Integer minor units as a string (event data): "1250" is 12.50 EUR. */
export const minorUnitsSchema = z.string().max(DECIMAL_LENGTH_MAX).regex(INTEGER_PATTERN, 'minor units must be an integer string');

/** An ISO 4217 code from CURRENCY_SCALES. */
export const currencyCodeSchema = z.string().superRefine((value, ctx) => {
  if (!isKnownCurrency(value)) issue(ctx, 'CURRENCY_UNKNOWN', `Unknown currency "${value.slice(0, 10)}"; use an ISO 4217 code.`);
});

/**
 * An FX rate to the company currency as a decimal string: how many units of the company
 * currency one unit of the line currency is worth ("0.9234" for USD in a EUR company).
 * At most FX_RATE_SCALE decimal places, strictly positive.
 */
export const fxRateSchema = z.string().superRefine((value, ctx) => {
  if (value.length > DECIMAL_LENGTH_MAX || !DECIMAL_PATTERN.test(value) || value.startsWith('-') || /^0(\.0+)?$/.test(value)) {
    issue(ctx, 'FX_RATE_INVALID', 'FX rate must be a positive decimal string like "0.9234".');
  } else if (decimalPlaces(value) > FX_RATE_SCALE) {
    issue(ctx, 'FX_RATE_PRECISION_EXCEEDED', `FX rate has more than ${FX_RATE_SCALE} decimal places.`);
  }
});

/** True when `value` is YYYY-MM-DD and names a real calendar day (proleptic Gregorian). */
export function isIsoDate(value: string): boolean {
  if (!ISO_DATE_PATTERN.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A calendar date without time (document and posting dates). */
export const isoDateSchema = z.string().superRefine((value, ctx) => {
  if (!isIsoDate(value)) issue(ctx, 'DATE_INVALID', 'Date must be a real calendar day in the form YYYY-MM-DD.');
});

/** An instant with an explicit offset. */
export const timestampSchema = z.string().datetime({ offset: true });

/** Ids become part of stream names (`ledger.transaction-<id>`): no whitespace, no separators beyond - and _. */
export const idSchema = z.string().min(1).max(ID_LENGTH_MAX).regex(/^[A-Za-z0-9_-]+$/, 'id may contain letters, digits, - and _ only');

/** Account numbers keep their leading zeros (SKR03 "0800"), so they are strings of digits. */
export const accountNumberSchema = z.string().regex(/^[0-9]{3,10}$/, 'account number must be 3 to 10 digits');

export const dimensionKeySchema = z.string().regex(/^[a-z][a-z0-9_]{0,49}$/, 'dimension keys are lower_snake_case, e.g. cost_centre');
export const dimensionValueSchema = z.string().min(1).max(100);
export const dimensionsSchema = z
  .record(dimensionKeySchema, dimensionValueSchema)
  .refine((dimensions) => Object.keys(dimensions).length <= DIMENSIONS_PER_LINE_MAX, `at most ${DIMENSIONS_PER_LINE_MAX} dimensions`);

export const sideSchema = z.enum(['debit', 'credit']);
export type Side = z.infer<typeof sideSchema>;

/**
 * Adds AMOUNT_PRECISION_EXCEEDED when `amount` has more decimal places than `currency`
 * allows ("1.005" EUR). Unknown currencies and malformed amounts are reported elsewhere.
 */
export function refineAmountPrecision(amount: string, currency: string, ctx: z.RefinementCtx, path: (string | number)[]): void {
  const scale = currencyScale(currency);
  if (scale === undefined || !DECIMAL_PATTERN.test(amount)) return;
  if (decimalPlaces(amount) > scale) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path,
      message: `${currency} amounts have at most ${scale} decimal places.`,
      params: { code: 'AMOUNT_PRECISION_EXCEEDED' },
    });
  }
}
