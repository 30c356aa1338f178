import { DomainError } from '../domain-error';
import { convertMinor, divideRoundHalfUp, formatFxRate, formatMinor, parseAmountMinor, parseDecimalMinor, parseFxRate } from './money';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('parseAmountMinor (line amounts)', () => {
  it.each([
    ['12.50', 'EUR', 1250n],
    ['12.5', 'EUR', 1250n],
    ['12', 'EUR', 1200n],
    ['0.01', 'EUR', 1n],
    ['100', 'JPY', 100n],
    ['1.234', 'BHD', 1234n],
    ['0.5', 'CHF', 50n],
    ['999999999999999999999999999999.99', 'USD', 99999999999999999999999999999999n],
  ])('%s %s → %s minor units', (amount, currency, expected) => {
    expect(parseAmountMinor(amount, currency)).toBe(expected);
  });

  it.each<[string, unknown, string, string]>([
    ['a float number', 12.5, 'EUR', 'AMOUNT_INVALID'],
    ['an integer number', 12, 'EUR', 'AMOUNT_INVALID'],
    ['a bigint', 1250n, 'EUR', 'AMOUNT_INVALID'],
    ['an exponent', '1e3', 'EUR', 'AMOUNT_INVALID'],
    ['an upper-case exponent', '1.5E2', 'EUR', 'AMOUNT_INVALID'],
    ['a leading zero', '012.50', 'EUR', 'AMOUNT_INVALID'],
    ['a bare point', '12.', 'EUR', 'AMOUNT_INVALID'],
    ['a leading point', '.5', 'EUR', 'AMOUNT_INVALID'],
    ['a plus sign', '+1.00', 'EUR', 'AMOUNT_INVALID'],
    ['thousands separators', '1,000.00', 'EUR', 'AMOUNT_INVALID'],
    ['whitespace', ' 1.00', 'EUR', 'AMOUNT_INVALID'],
    ['an empty string', '', 'EUR', 'AMOUNT_INVALID'],
    ['NaN', 'NaN', 'EUR', 'AMOUNT_INVALID'],
    ['three places in EUR', '1.005', 'EUR', 'AMOUNT_PRECISION_EXCEEDED'],
    ['places in JPY', '100.5', 'JPY', 'AMOUNT_PRECISION_EXCEEDED'],
    ['four places in BHD', '1.2345', 'BHD', 'AMOUNT_PRECISION_EXCEEDED'],
    ['zero', '0', 'EUR', 'AMOUNT_NOT_POSITIVE'],
    ['zero with places', '0.00', 'EUR', 'AMOUNT_NOT_POSITIVE'],
    ['a negative amount', '-1.00', 'EUR', 'AMOUNT_NOT_POSITIVE'],
    ['negative zero', '-0.00', 'EUR', 'AMOUNT_NOT_POSITIVE'],
    ['an unknown currency', '1.00', 'XYZ', 'CURRENCY_UNKNOWN'],
    ['a lower-case currency', '1.00', 'eur', 'CURRENCY_UNKNOWN'],
    ['37 integer digits', '1' + '0'.repeat(36), 'JPY', 'AMOUNT_TOO_LARGE'],
  ])('rejects %s', (_name, amount, currency, code) => {
    expect(codeOf(() => parseAmountMinor(amount, currency))).toBe(code);
  });

  it('keeps huge values exact (no float on the way)', () => {
    const amount = '123456789012345678901234567890.12';
    const minor = parseAmountMinor(amount, 'EUR');
    expect(minor).toBe(12345678901234567890123456789012n);
    expect(formatMinor(minor, 'EUR')).toBe(amount);
    expect(formatMinor(minor * 3n, 'EUR')).toBe('370370367037037036703703703670.36');
  });
});

describe('parseDecimalMinor (signed balances)', () => {
  it.each([
    ['-1250.00', 'EUR', -125000n],
    ['-0.01', 'EUR', -1n],
    ['0', 'EUR', 0n],
    ['-0', 'JPY', 0n],
  ])('%s %s → %s', (amount, currency, expected) => {
    expect(parseDecimalMinor(amount, currency)).toBe(expected);
  });
});

describe('formatMinor', () => {
  it.each([
    [1250n, 'EUR', '12.50'],
    [5n, 'EUR', '0.05'],
    [-5n, 'EUR', '-0.05'],
    [0n, 'EUR', '0.00'],
    [100n, 'JPY', '100'],
    [1234n, 'BHD', '1.234'],
    [1n, 'BHD', '0.001'],
  ])('%s %s → %s', (minor, currency, expected) => {
    expect(formatMinor(minor, currency)).toBe(expected);
  });
});

describe('FX rates', () => {
  it.each([
    ['1', 10_000_000_000n, '1'],
    ['0.9234', 9_234_000_000n, '0.9234'],
    ['0.90', 9_000_000_000n, '0.9'],
    ['160.5', 1_605_000_000_000n, '160.5'],
    ['0.0000000001', 1n, '0.0000000001'],
  ])('parses %s exactly and formats it canonically', (rate, scaled, canonical) => {
    expect(parseFxRate(rate)).toBe(scaled);
    expect(formatFxRate(scaled)).toBe(canonical);
  });

  it.each<[unknown, string]>([
    [0.9, 'FX_RATE_INVALID'],
    ['0', 'FX_RATE_INVALID'],
    ['-1.1', 'FX_RATE_INVALID'],
    ['1e-3', 'FX_RATE_INVALID'],
    ['0.00000000001', 'FX_RATE_PRECISION_EXCEEDED'],
  ])('rejects %s with %s', (rate, code) => {
    expect(codeOf(() => parseFxRate(rate))).toBe(code);
  });
});

describe('conversion into company currency (round half up, away from zero)', () => {
  it.each([
    ['100.00 USD at 0.9 → 90.00 EUR', 10000n, 'USD', '0.9', 'EUR', 9000n],
    ['33.33 USD at 0.9 → 29.997 → 30.00 EUR', 3333n, 'USD', '0.9', 'EUR', 3000n],
    ['0.05 USD at 0.5 → 0.025 → 0.03 EUR (half up)', 5n, 'USD', '0.5', 'EUR', 3n],
    ['0.15 USD at 0.5 → 0.075 → 0.08 EUR (half up, not half even)', 15n, 'USD', '0.5', 'EUR', 8n],
    ['1000 JPY at 0.0061234 → 6.1234 → 6.12 EUR', 1000n, 'JPY', '0.0061234', 'EUR', 612n],
    ['10.00 EUR at 160.555 → 1605.55 → 1606 JPY', 1000n, 'EUR', '160.555', 'JPY', 1606n],
    ['1.234 BHD at 2.4321 → 3.0012114 → 3.00 EUR', 1234n, 'BHD', '2.4321', 'EUR', 300n],
    ['1.00 EUR at 0.3767 → 0.3767 → 0.377 BHD', 100n, 'EUR', '0.3767', 'BHD', 377n],
  ])('%s', (_name, amountMinor, from, rate, to, expected) => {
    expect(convertMinor(amountMinor, from, parseFxRate(rate), to)).toBe(expected);
  });

  it('rounds negative values symmetrically', () => {
    expect(divideRoundHalfUp(-25n, 10n)).toBe(-3n);
    expect(divideRoundHalfUp(25n, 10n)).toBe(3n);
    expect(divideRoundHalfUp(24n, 10n)).toBe(2n);
  });
});
