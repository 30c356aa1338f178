import { ledger as wire } from '@neuroerp/schemas';
import { fail } from '../errors';

/**
 * Calendar arithmetic on ISO dates ("2025-03-31"), without Date and without a clock.
 * A fiscal year has twelve monthly periods; it starts on the first day of `firstMonth` of
 * `year` (1 = calendar year; 7 = July to June of the next calendar year).
 */

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

export function parseDate(value: string): CalendarDate {
  if (!wire.isIsoDate(value)) return fail('DATE_INVALID', 'Date must be a real calendar day in the form YYYY-MM-DD.', { date: String(value).slice(0, 20) });
  return { year: Number(value.slice(0, 4)), month: Number(value.slice(5, 7)), day: Number(value.slice(8, 10)) };
}

export function formatDate({ year, month, day }: CalendarDate): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** First day of period `period` (1–12) of the fiscal year `year` starting in `firstMonth`. */
export function periodStartDate(year: number, firstMonth: number, period: number): string {
  const monthIndex = year * 12 + (firstMonth - 1) + (period - 1);
  return formatDate({ year: Math.floor(monthIndex / 12), month: (monthIndex % 12) + 1, day: 1 });
}

/** Last day of period `period` of the fiscal year. */
export function periodEndDate(year: number, firstMonth: number, period: number): string {
  const monthIndex = year * 12 + (firstMonth - 1) + (period - 1);
  const calendarYear = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  return formatDate({ year: calendarYear, month, day: wire.daysInMonth(calendarYear, month) });
}

/** The period (1–12) of the fiscal year that contains `date`, or null when the date is outside it. */
export function periodOfDate(year: number, firstMonth: number, date: string): number | null {
  const { year: dateYear, month } = parseDate(date);
  const offset = dateYear * 12 + (month - 1) - (year * 12 + (firstMonth - 1));
  return offset >= 0 && offset < wire.PERIODS_PER_FISCAL_YEAR ? offset + 1 : null;
}

/**
 * The fiscal year (named by the calendar year it starts in) that contains `date`. The command
 * handler uses it to pick the fiscal-year stream for a posting date.
 */
export function fiscalYearOf(date: string, firstMonth = 1): number {
  const { year, month } = parseDate(date);
  return month >= firstMonth ? year : year - 1;
}
