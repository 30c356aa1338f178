import { divideRounded, lineNetMinor, parseScaledDecimal, taxMinor, toMinorUnits } from './amounts';

const scaled = (value: string) => {
  const parsed = parseScaledDecimal(value);
  if (parsed === null) throw new Error(`bad decimal ${value}`);
  return parsed;
};

describe('document amounts in minor units', () => {
  it.each<[string, string, bigint | null]>([
    ['12.5', 'EUR', 1250n],
    ['12.50', 'EUR', 1250n],
    ['-0.01', 'EUR', -1n],
    ['100', 'JPY', 100n],
    ['1.005', 'EUR', null],
    ['1e3', 'EUR', null],
    ['1.00', 'XYZ', null],
  ])('%s %s → %s', (amount, currency, expected) => expect(toMinorUnits(amount, currency)).toBe(expected));

  it.each<[bigint, bigint, bigint]>([
    [5n, 2n, 3n],
    [-5n, 2n, -3n],
    [4n, 3n, 1n],
    [1499n, 1000n, 1n],
    [1500n, 1000n, 2n],
  ])('%s / %s rounds half away from zero to %s', (n, d, expected) => expect(divideRounded(n, d)).toBe(expected));

  it('multiplies quantity by unit price and rounds to the currency', () => {
    expect(lineNetMinor(scaled('1.5'), scaled('10.01'), 2)).toBe(1502n); // 15.015 → 15.02
    expect(lineNetMinor(scaled('3'), scaled('100.00'), 2)).toBe(30000n);
  });

  it('computes tax from net and a percentage', () => {
    expect(taxMinor(30000n, scaled('19'))).toBe(5700n);
    expect(taxMinor(5000n, scaled('7'))).toBe(350n);
    expect(taxMinor(1502n, scaled('19'))).toBe(285n); // 2.8538 → 2.85
  });
});
