import { addAmounts, checkBalance, formatMinor, parseDimensions, parseMinor } from './money';

describe('money', () => {
  it.each([
    ['12', 1200n],
    ['12.5', 1250n],
    ['12,50', 1250n],
    ['0.01', 1n],
    ['99999999999999.99', 9999999999999999n],
    ['12.345', null],
    ['-1', null],
    ['abc', null],
    ['', null],
  ])('parseMinor(%p) = %p', (text, minor) => expect(parseMinor(text)).toBe(minor));

  it('formats minor units exactly', () => {
    expect(formatMinor(123456n)).toBe('1234.56');
    expect(formatMinor(5n)).toBe('0.05');
    expect(formatMinor(-5n)).toBe('-0.05');
  });

  it('checks debit = credit without floats', () => {
    expect(checkBalance([{ side: 'debit', amount: '0.1' }, { side: 'debit', amount: '0.2' }, { side: 'credit', amount: '0.3' }]).balanced).toBe(true);
    const off = checkBalance([{ side: 'debit', amount: '100' }, { side: 'credit', amount: '99.99' }]);
    expect(off).toMatchObject({ balanced: false, differenceMinor: 1n });
    expect(checkBalance([{ side: 'debit', amount: '1' }, { side: 'credit', amount: 'x' }])).toMatchObject({ balanced: false, invalidLines: [1] });
    expect(checkBalance([{ side: 'debit', amount: '1' }]).balanced).toBe(false);
  });
});

describe('parseDimensions', () => {
  it.each([
    ['', {}],
    ['cost_centre=verwaltung', { cost_centre: 'verwaltung' }],
    [' cost_centre = lager , project=p1 ', { cost_centre: 'lager', project: 'p1' }],
    ['cost_centre', null],
    ['=x', null],
  ])('parseDimensions(%p)', (text, expected) => expect(parseDimensions(text)).toEqual(expected));
});

describe('addAmounts', () => {
  it('sums decimal strings exactly', () => {
    expect(addAmounts(['12345.67', '0.33'])).toBe('12346.00');
    expect(addAmounts(['0.1', '0.2'])).toBe('0.30');
    expect(addAmounts(['-5.00', '2.5'])).toBe('-2.50');
    expect(addAmounts(['1.2345', null, undefined, 'x'])).toBe('1.2345');
    expect(addAmounts([])).toBe('0.00');
  });
});
