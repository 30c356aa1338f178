import { ledger } from '@neuroerp/schemas';

/** Decimal places of `currency` (ISO 4217 minor units); 2 for a currency the schemas do not know. */
export function scaleOf(currency: string): number {
  return ledger.currencyScale(currency) ?? 2;
}

/** Integer minor units as a decimal string in major units (`123450n`, EUR → `"1234.50"`). Never a float. */
export function formatMinor(minor: bigint, currency: string): string {
  const scale = scaleOf(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** A decimal string in major units as integer minor units; more decimals than the currency has are rounded toward zero. */
export function parseMajor(decimal: string, currency: string): bigint {
  const scale = scaleOf(currency);
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? decimal.slice(1) : decimal).split('.');
  const minor = BigInt(whole) * 10n ** BigInt(scale) + BigInt((fraction + '0'.repeat(scale)).slice(0, scale) || '0');
  return negative ? -minor : minor;
}
