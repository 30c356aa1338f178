/**
 * Locale-correct formatting with Intl. Amount strings are handed to Intl as strings, which
 * formats them exactly (no float rounding on large amounts).
 */
export type AppLocale = 'de' | 'en';

export const INTL_LOCALES: Record<AppLocale, string> = { de: 'de-DE', en: 'en-GB' };

export function formatMoney(amount: string | number | null | undefined, currency: string, locale: AppLocale): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  return new Intl.NumberFormat(INTL_LOCALES[locale], { style: 'currency', currency }).format(amount as unknown as number);
}

export function formatNumber(value: string | number | null | undefined, locale: AppLocale, fractionDigits?: number): string {
  if (value === null || value === undefined || value === '') return '—';
  const options = fractionDigits === undefined ? {} : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits };
  return new Intl.NumberFormat(INTL_LOCALES[locale], options).format(value as unknown as number);
}

/** A business date (YYYY-MM-DD), shown without a time zone shift. */
export function formatDate(date: string | null | undefined, locale: AppLocale): string {
  if (date === null || date === undefined || date === '') return '—';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const value = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : new Date(date);
  if (Number.isNaN(value.getTime())) return date;
  return new Intl.DateTimeFormat(INTL_LOCALES[locale], { dateStyle: 'medium', timeZone: 'UTC' }).format(value);
}

/** An instant, in the browser's time zone. */
export function formatDateTime(instant: string | null | undefined, locale: AppLocale, timeZone?: string): string {
  if (instant === null || instant === undefined || instant === '') return '—';
  const value = new Date(instant);
  if (Number.isNaN(value.getTime())) return instant;
  return new Intl.DateTimeFormat(INTL_LOCALES[locale], { dateStyle: 'medium', timeStyle: 'medium', ...(timeZone ? { timeZone } : {}) }).format(value);
}

/** "2026-03" → "März 2026" / "March 2026". */
export function formatMonth(month: string, locale: AppLocale, style: 'long' | 'short' = 'short'): string {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (match === null) return month;
  return new Intl.DateTimeFormat(INTL_LOCALES[locale], { month: style, year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
}
