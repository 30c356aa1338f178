import { currencyScale } from '../ledger/currencies';
import { DECIMAL_LENGTH_MAX, DECIMAL_PATTERN, decimalPlaces } from '../ledger/primitives';

/**
 * Exact decimal arithmetic for document totals. Amounts on the wire are decimal strings in
 * major units ("119.00"); checks compare integers in minor units (bigint), never floats.
 */

/** A decimal as an integer scaled by 10^scale: "1.50" → { units: 150n, scale: 2 }. */
export interface ScaledDecimal {
  units: bigint;
  scale: number;
}

/** Parses a canonical decimal string; null when it is not one. */
export function parseScaledDecimal(value: string): ScaledDecimal | null {
  if (value.length > DECIMAL_LENGTH_MAX || !DECIMAL_PATTERN.test(value)) return null;
  const scale = decimalPlaces(value);
  return { units: BigInt(value.replace('.', '')), scale };
}

/** An amount in minor units of `currency`; null when malformed, of an unknown currency, or too precise. */
export function toMinorUnits(amount: string, currency: string): bigint | null {
  const parsed = parseScaledDecimal(amount);
  const scale = currencyScale(currency);
  if (parsed === null || scale === undefined || parsed.scale > scale) return null;
  return parsed.units * 10n ** BigInt(scale - parsed.scale);
}

/** numerator / denominator rounded half away from zero (commercial rounding). */
export function divideRounded(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (n * 2n + d) / (d * 2n);
  return negative ? -quotient : quotient;
}

/** quantity × unit price, rounded to the currency's minor units. */
export function lineNetMinor(quantity: ScaledDecimal, unitPrice: ScaledDecimal, currencyScaleDigits: number): bigint {
  const product = quantity.units * unitPrice.units;
  const productScale = quantity.scale + unitPrice.scale;
  if (productScale <= currencyScaleDigits) return product * 10n ** BigInt(currencyScaleDigits - productScale);
  return divideRounded(product, 10n ** BigInt(productScale - currencyScaleDigits));
}

/** net (minor units) × rate percent, rounded to minor units. */
export function taxMinor(netMinor: bigint, ratePercent: ScaledDecimal): bigint {
  return divideRounded(netMinor * ratePercent.units, 100n * 10n ** BigInt(ratePercent.scale));
}
