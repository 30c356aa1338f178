import { canonicalJson } from './canonical-json';

// Stored data depends on this exact form: the hashes approvals record (`approvedHash`) and the
// idempotency fingerprints. The expected strings are what the earlier hand-written version gave.
describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: [3, { d: 'x', c: null }], ä: true, Z: 'ü€😀', n: -0.5, e: 1e21, u: undefined }, '{"Z":"ü€😀","a":[3,{"c":null,"d":"x"}],"b":1,"e":1e+21,"n":-0.5,"ä":true}'],
    [
      { transactionId: 'tx-1', lines: [{ accountNumber: '1200', side: 'debit', amountMinor: '100', dimensions: {} }], description: 'Müller "GmbH"\n' },
      '{"description":"Müller \\"GmbH\\"\\n","lines":[{"accountNumber":"1200","amountMinor":"100","dimensions":{},"side":"debit"}],"transactionId":"tx-1"}',
    ],
    [[], '[]'],
    [{}, '{}'],
    ['text', '"text"'],
    [42, '42'],
    [null, 'null'],
    [false, 'false'],
  ])('%j → %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('is the same for the same data in another key order (as PostgreSQL jsonb returns it)', () => {
    expect(canonicalJson({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(canonicalJson(JSON.parse('{"b":{"d":"x","c":[1,2]},"a":1}')));
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson(undefined)).toThrow(/not serializable/);
  });
});
