import { z } from './zod';

/**
 * The query-string primitives every route shares. Each failure carries a stable code in
 * `params.code`, which {@link parseInput} answers with (400).
 */

const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const MONTH = /^([0-9]{4})-([0-9]{2})$/;
/** Decimal amounts in major units, as the command API takes them. */
const DECIMAL = /^-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,6})?$/;
const POSITION = /^(0|[1-9][0-9]{0,18})$/;
/** Longest free-text filter. */
export const TEXT_FILTER_LENGTH_MAX = 200;

function coded(code: string, message: string) {
  return { message, params: { code } };
}

export function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (match === null) return false;
  const date = new Date(`${value}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export const dateParameter = z
  .string()
  .refine(isCalendarDate, coded('INVALID_DATE', 'expected a calendar date YYYY-MM-DD'))
  .openapi({ type: 'string', format: 'date', example: '2026-03-31' });

export const instantParameter = z
  .string()
  .refine((value) => /^[0-9]{4}-[0-9]{2}-[0-9]{2}T/.test(value) && !Number.isNaN(Date.parse(value)), coded('INVALID_INSTANT', 'expected an ISO 8601 instant'))
  .transform((value) => new Date(value).toISOString())
  .openapi({ type: 'string', format: 'date-time', example: '2026-04-15T12:00:00Z' });

export const monthParameter = z
  .string()
  .refine((value) => {
    const match = MONTH.exec(value);
    return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 12;
  }, coded('INVALID_MONTH', 'expected a month YYYY-MM'))
  .openapi({ type: 'string', example: '2026-03' });

/** A decimal amount in major units of the company currency, as a string (never a float). */
export const amountParameter = z.string().refine((value) => DECIMAL.test(value), coded('INVALID_AMOUNT', 'expected a decimal amount like 1234.50')).openapi({ type: 'string', example: '100.00' });

export const positionParameter = z
  .string()
  .refine((value) => POSITION.test(value), coded('INVALID_POSITION', 'expected a global position (a non-negative integer)'))
  .transform((value) => BigInt(value))
  .openapi({ type: 'string', example: '42' });

export const textParameter = z.string().min(1).max(TEXT_FILTER_LENGTH_MAX).openapi({ type: 'string' });

export const accountNumberParameter = z.string().refine((value) => /^[0-9]{3,10}$/.test(value), coded('INVALID_ACCOUNT_NUMBER', 'expected 3 to 10 digits')).openapi({ type: 'string', example: '1200' });

export const companyIdParameter = z.string().refine((value) => /^[A-Za-z0-9_-]{1,100}$/.test(value), coded('INVALID_COMPANY_ID', 'expected a company id')).openapi({ type: 'string' });

export const formatParameter = z.enum(['json', 'csv']).optional().openapi({ description: '`csv` answers text/csv (RFC 4180) instead of JSON.' });

/** Parameters every route takes: the company (defaults to the configured one) and read-your-writes. */
export const commonParameters = {
  companyId: companyIdParameter.optional().describe('The company whose books are read; defaults to the configured company.'),
  after: positionParameter.optional().describe('Read your writes: wait (at most 5 s) until the read models this route reads have applied this global position; else 503 PROJECTION_BEHIND.'),
};

/** Checks `from <= to` on a parsed query; used as a zod superRefine. */
export function fromNotAfterTo(query: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['from'], message: '`from` is after `to`', params: { code: 'INVALID_RANGE' } });
  }
}

/** Checks `minAmount <= maxAmount`. */
export function minNotAboveMax(query: { minAmount?: string; maxAmount?: string }, ctx: z.RefinementCtx): void {
  if (query.minAmount !== undefined && query.maxAmount !== undefined && Number(query.minAmount) > Number(query.maxAmount)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['minAmount'], message: '`minAmount` is above `maxAmount`', params: { code: 'INVALID_RANGE' } });
  }
}
