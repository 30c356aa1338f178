import { ledger as wire } from '@neuroerp/schemas';
import { fail } from './errors';

/**
 * Money in the ledger (TigerBeetle style): an integer count of minor units as a bigint,
 * always together with its ISO 4217 currency. 12.50 EUR is `1250n`, 100 JPY is `100n`,
 * 1.234 BHD is `1234n`. Decimal strings exist only at the edges: major units on the wire
 * ("12.50"), integer strings of minor units in event data ("1250"). There is no float
 * anywhere, so every sum is exact however large it gets.
 *
 * FX rates are decimal strings too ("0.9234" = units of company currency per unit of the
 * line currency) and are held as bigints scaled by 10^FX_RATE_SCALE (10 decimal places).
 *
 * Rounding: converting into company currency rounds half up, away from zero — commercial
 * rounding ("kaufmännisches Runden", DIN 1333), which is what German accountants, tax
 * auditors and spreadsheets reproduce. Its bias does not matter here because the ledger
 * never hides a rounding difference: whatever the rounded lines leave unbalanced in company
 * currency is booked on an explicit rounding line (see transactions/lines.ts).
 */

export const FX_RATE_SCALE = wire.FX_RATE_SCALE;
export const FX_RATE_ONE = 10n ** BigInt(FX_RATE_SCALE);
/** The largest magnitude of an amount in minor units: 36 digits, beyond any real ledger, yet bounded. */
export const AMOUNT_MINOR_MAX = 10n ** 36n - 1n;

/** The minor-unit scale of `currency`; throws CURRENCY_UNKNOWN for currencies outside the table. */
export function currencyScaleOf(currency: string): number {
  const scale = wire.currencyScale(currency);
  if (scale === undefined) return fail('CURRENCY_UNKNOWN', `Unknown currency "${String(currency).slice(0, 10)}".`, { currency: String(currency).slice(0, 10) });
  return scale;
}

/**
 * Parses a signed decimal string in major units of `currency` into minor units.
 * Rejects non-strings (a JSON number like 12.5 is AMOUNT_INVALID), exponents, leading zeros
 * and more decimal places than the currency has (AMOUNT_PRECISION_EXCEEDED).
 */
export function parseDecimalMinor(decimal: unknown, currency: string): bigint {
  const scale = currencyScaleOf(currency);
  if (typeof decimal !== 'string' || decimal.length > wire.DECIMAL_LENGTH_MAX || !wire.DECIMAL_PATTERN.test(decimal)) {
    return fail('AMOUNT_INVALID', 'Amount must be a decimal string like "12.50".', { amount: typeof decimal === 'string' ? decimal.slice(0, 50) : typeof decimal });
  }
  const places = wire.decimalPlaces(decimal);
  if (places > scale) {
    return fail('AMOUNT_PRECISION_EXCEEDED', `${currency} amounts have at most ${scale} decimal places.`, { amount: decimal, currency, scale });
  }
  const negative = decimal.startsWith('-');
  const digits = (negative ? decimal.slice(1) : decimal).replace('.', '') + '0'.repeat(scale - places);
  const magnitude = BigInt(digits);
  if (magnitude > AMOUNT_MINOR_MAX) return fail('AMOUNT_TOO_LARGE', 'Amount is too large.', { amount: decimal.slice(0, 50) });
  return negative ? -magnitude : magnitude;
}

/** Parses a line amount: like parseDecimalMinor, and it must be greater than zero. */
export function parseAmountMinor(decimal: unknown, currency: string): bigint {
  const minor = parseDecimalMinor(decimal, currency);
  if (minor <= 0n) return fail('AMOUNT_NOT_POSITIVE', 'Line amounts must be greater than zero.', { amount: String(decimal) });
  return minor;
}

/** Formats minor units as a decimal string in major units: (1250n, "EUR") → "12.50", (-5n, "EUR") → "-0.05". */
export function formatMinor(minor: bigint, currency: string): string {
  const scale = currencyScaleOf(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const major = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${major}` : major;
}

/** Parses a minor-units integer string from event data; an invalid one is a programmer error. */
export function minorFromEvent(value: string): bigint {
  if (!wire.INTEGER_PATTERN.test(value)) throw new TypeError(`Corrupt minor units in event data: "${value.slice(0, 50)}"`);
  return BigInt(value);
}

/** Parses an FX rate ("0.9234") into an integer scaled by 10^FX_RATE_SCALE. */
export function parseFxRate(rate: unknown): bigint {
  if (typeof rate !== 'string' || rate.length > wire.DECIMAL_LENGTH_MAX || !wire.DECIMAL_PATTERN.test(rate) || rate.startsWith('-')) {
    return fail('FX_RATE_INVALID', 'FX rate must be a positive decimal string like "0.9234".', { fxRate: typeof rate === 'string' ? rate.slice(0, 50) : typeof rate });
  }
  const places = wire.decimalPlaces(rate);
  if (places > FX_RATE_SCALE) return fail('FX_RATE_PRECISION_EXCEEDED', `FX rates have at most ${FX_RATE_SCALE} decimal places.`, { fxRate: rate });
  const scaled = BigInt(rate.replace('.', '') + '0'.repeat(FX_RATE_SCALE - places));
  if (scaled === 0n) return fail('FX_RATE_INVALID', 'FX rate must be greater than zero.', { fxRate: rate });
  return scaled;
}

/** The canonical decimal string of a scaled rate, without trailing zeros: 9_234_000_000n → "0.9234". */
export function formatFxRate(scaled: bigint): string {
  const digits = scaled.toString().padStart(FX_RATE_SCALE + 1, '0');
  const fraction = digits.slice(-FX_RATE_SCALE).replace(/0+$/, '');
  const whole = digits.slice(0, -FX_RATE_SCALE);
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** numerator / denominator rounded half away from zero (commercial rounding). */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const quotient = (magnitude * 2n + denominator) / (denominator * 2n);
  return negative ? -quotient : quotient;
}

/**
 * Converts `amountMinor` of `fromCurrency` into minor units of `toCurrency` at `fxRateScaled`
 * (units of `toCurrency` per unit of `fromCurrency`, scaled by 10^FX_RATE_SCALE), exactly,
 * with one rounding at the end (half up). Example: 100.00 USD at "0.9" → 90.00 EUR.
 */
export function convertMinor(amountMinor: bigint, fromCurrency: string, fxRateScaled: bigint, toCurrency: string): bigint {
  const fromScale = currencyScaleOf(fromCurrency);
  const toScale = currencyScaleOf(toCurrency);
  const numerator = amountMinor * fxRateScaled * 10n ** BigInt(toScale);
  const denominator = FX_RATE_ONE * 10n ** BigInt(fromScale);
  return divideRoundHalfUp(numerator, denominator);
}
