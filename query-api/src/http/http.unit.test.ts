import { csvField, toCsv } from './csv';
import { encodeCursor, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, cursorParameter, limitParameter, toPage } from './pagination';
import { z } from './zod';
import { formatMinor, parseMajor } from '../read-models/money';
import { skr03AccountType } from '../read-models/accounts';
import { ageBucket } from '../routes/open-items';

describe('CSV (RFC 4180)', () => {
  it.each([
    ['plain', 'abc', 'abc'],
    ['comma', 'a,b', '"a,b"'],
    ['quote', 'say "hi"', '"say ""hi"""'],
    ['line break', 'a\nb', '"a\nb"'],
    ['null', null, ''],
    ['number', 12, '12'],
    ['negative amount stays a number', '-12.50', '-12.50'],
    ['formula is neutralised', '=SUM(A1)', "'=SUM(A1)"],
  ])('%s', (_name, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes a header and CRLF-terminated records', () => {
    expect(toCsv([{ header: 'a', value: (row: { a: string }) => row.a }], [{ a: 'x' }, { a: 'y,z' }])).toBe('a\r\nx\r\n"y,z"\r\n');
  });
});

describe('keyset pagination', () => {
  const cursor = cursorParameter(z.tuple([z.string(), z.number()]));

  it('round-trips a cursor and rejects a foreign one', () => {
    expect(cursor.parse(encodeCursor(['1', 2]))).toEqual(['1', 2]);
    expect(cursor.safeParse(encodeCursor([1, 2])).success).toBe(false);
    expect(cursor.safeParse('***').success).toBe(false);
  });

  it('defaults and bounds the limit', () => {
    expect(limitParameter.parse(undefined)).toBe(PAGE_LIMIT_DEFAULT);
    expect(limitParameter.parse(String(PAGE_LIMIT_MAX))).toBe(PAGE_LIMIT_MAX);
    expect(limitParameter.safeParse(String(PAGE_LIMIT_MAX + 1)).success).toBe(false);
  });

  it('cuts the extra row and points the cursor at the last item', () => {
    const page = toPage([1, 2, 3], 2, (row) => [row], (row) => row * 10);
    expect(page).toEqual({ items: [10, 20], nextCursor: encodeCursor([2]) });
    expect(toPage([1, 2], 2, (row) => [row], (row) => row).nextCursor).toBeNull();
  });
});

describe('money and classification', () => {
  it.each([
    [123450n, 'EUR', '1234.50'],
    [-5n, 'EUR', '-0.05'],
    [0n, 'EUR', '0.00'],
    [1234n, 'JPY', '1234'],
  ])('formats %s %s as %s', (minor, currency, text) => {
    expect(formatMinor(minor, currency)).toBe(text);
    expect(parseMajor(text, currency)).toBe(minor);
  });

  it('classifies SKR03 accounts like the demo chart does', () => {
    const chart: [string, string][] = [
      ['0027', 'asset'], ['0630', 'liability'], ['0800', 'equity'], ['0970', 'liability'], ['1200', 'asset'], ['1576', 'asset'],
      ['1600', 'liability'], ['1776', 'liability'], ['1780', 'asset'], ['2110', 'expense'], ['2650', 'revenue'], ['3400', 'expense'],
      ['4120', 'expense'], ['8400', 'revenue'], ['9000', 'equity'],
    ];
    expect(chart.map(([number]) => [number, skr03AccountType(number)])).toEqual(chart);
  });

  it.each([[-3, 'current'], [0, 'current'], [1, 'd1_30'], [30, 'd1_30'], [31, 'd31_60'], [61, 'd61_90'], [91, 'over90']])('%s days overdue is %s', (days, bucket) => {
    expect(ageBucket(days)).toBe(bucket);
  });
});
