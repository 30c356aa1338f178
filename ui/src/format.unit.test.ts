import { formatDate, formatMoney, formatMonth } from './format';

describe('format', () => {
  it('formats money per locale, exactly from decimal strings', () => {
    expect(formatMoney('1234567.89', 'EUR', 'de')).toBe('1.234.567,89\u00a0€');
    expect(formatMoney('1234567.89', 'EUR', 'en')).toBe('€1,234,567.89');
    expect(formatMoney('90071992547409.93', 'EUR', 'en')).toBe('€90,071,992,547,409.93');
    expect(formatMoney(null, 'EUR', 'de')).toBe('—');
  });

  it('formats business dates without a time-zone shift', () => {
    expect(formatDate('2026-03-01', 'de')).toBe('01.03.2026');
    expect(formatDate('2026-03-01', 'en')).toBe('1 Mar 2026');
    expect(formatMonth('2026-03', 'de', 'long')).toBe('März 2026');
  });
});
