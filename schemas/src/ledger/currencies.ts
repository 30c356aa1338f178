/**
 * ISO 4217 minor-unit scales of the currencies NeuroERP accepts: the number of decimal
 * places an amount in that currency may have (EUR 2: "12.50"; JPY 0: "100"; BHD 3: "1.234").
 * A currency that is not in this table is rejected with `CURRENCY_UNKNOWN`; add a row
 * (from the ISO 4217 list) to support it. Currencies with a non-decimal or obsolete minor
 * unit (MRU, MGA, HRK, …) are left out on purpose.
 */
export const CURRENCY_SCALES = {
  // Europe
  EUR: 2, CHF: 2, GBP: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2, RON: 2, BGN: 2,
  ISK: 0, TRY: 2, RSD: 2, UAH: 2,
  // Americas
  USD: 2, CAD: 2, MXN: 2, BRL: 2, ARS: 2, CLP: 0, COP: 2, PEN: 2, UYU: 2, PYG: 0,
  // Asia and Pacific
  JPY: 0, CNY: 2, HKD: 2, SGD: 2, KRW: 0, INR: 2, IDR: 2, MYR: 2, THB: 2, PHP: 2, VND: 0,
  TWD: 2, AUD: 2, NZD: 2, PKR: 2,
  // Middle East and Africa
  BHD: 3, KWD: 3, OMR: 3, JOD: 3, IQD: 3, LYD: 3, TND: 3, AED: 2, SAR: 2, QAR: 2, ILS: 2,
  EGP: 2, ZAR: 2, NGN: 2, KES: 2, MAD: 2, XOF: 0, XAF: 0, UGX: 0, RWF: 0,
} as const satisfies Record<string, 0 | 2 | 3>;

export type CurrencyCode = keyof typeof CURRENCY_SCALES;

export function isKnownCurrency(code: string): code is CurrencyCode {
  return Object.prototype.hasOwnProperty.call(CURRENCY_SCALES, code);
}

/** The minor-unit scale of a known currency, or `undefined` for an unknown one. */
export function currencyScale(code: string): number | undefined {
  return isKnownCurrency(code) ? CURRENCY_SCALES[code] : undefined;
}
