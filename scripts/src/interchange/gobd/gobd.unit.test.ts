import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parseCsv } from '../csv';
import { declaredTables, sampleYear, valueProblem } from '../test-support';
import { GOBD_COLUMN_DELIMITER, gobdAmount, gobdColumnNames, gobdDate, gobdIndexXml, gobdTableCsv, gobdTables } from './gobd';

const parser = new XMLParser({ isArray: (name) => ['Table', 'VariablePrimaryKey', 'VariableColumn', 'ForeignKey'].includes(name) });
const parse = (xml: string): unknown => parser.parse(xml);
const supplier = { name: 'acme', location: 'Berlin', comment: 'test' };

describe('GoBD export', () => {
  it.each([
    ['2026-03-31', '31.03.2026'],
    ['2026-01-05', '05.01.2026'],
  ])('writes the date %s as %s', (iso, expected) => {
    expect(gobdDate(iso)).toBe(expected);
  });

  it.each([
    [123456n, 'EUR', '1234,56'],
    [-5n, 'EUR', '-0,05'],
    [1500n, 'JPY', '1500'],
  ])('writes %s minor %s as %s', (minor, currency, expected) => {
    expect(gobdAmount(minor, currency)).toBe(expected);
  });

  it('has the five tables with their rows, every referenced user in users', () => {
    const tables = gobdTables(sampleYear());
    expect(tables.map((table) => [table.url, table.rows.length])).toEqual([
      ['journal.csv', 8],
      ['accounts.csv', 5],
      ['documents.csv', 1],
      ['users.csv', 3],
      ['approvals.csv', 6],
    ]);
    const users = new Set(tables[3]?.rows.map((row) => row[0]));
    expect([...users]).toEqual(['anna', 'bert', 'system']);
    const approvals = tables[4]!;
    expect(approvals.rows.filter((row) => row[0] === 't2').map((row) => [row[1], row[2], row[3], row[4]])).toEqual([
      ['1', 'submitted', 'anna', 'accountant'],
      ['2', 'rejected', 'bert', 'approver'],
      ['3', 'submitted', 'anna', 'accountant'],
      ['4', 'approved', 'bert', 'approver'],
    ]);
    const accounts = tables[1]!;
    expect(accounts.rows.find((row) => row[0] === '1200')?.at(-1)).toBe('20119,00');
  });

  it('writes a well-formed index.xml that declares every CSV with exactly its columns in order', () => {
    const year = sampleYear();
    const tables = gobdTables(year);
    const dir = mkdtempSync(path.join(tmpdir(), 'gobd-'));
    try {
      const indexXml = gobdIndexXml(year, tables, supplier);
      writeFileSync(path.join(dir, 'index.xml'), indexXml);
      execFileSync('xmllint', ['--noout', path.join(dir, 'index.xml')], { stdio: 'pipe' });
      const declared = declaredTables(indexXml, parse);
      expect(declared.map((table) => table.url)).toEqual(tables.map((table) => table.url));
      for (const [index, table] of tables.entries()) {
        const declaration = declared[index]!;
        expect(declaration.decimalSymbol).toBe(',');
        expect(declaration.columns.map((column) => column.name)).toEqual(gobdColumnNames(table));
        const rows = parseCsv(gobdTableCsv(table), GOBD_COLUMN_DELIMITER);
        expect(rows).toHaveLength(table.rows.length);
        for (const row of rows) {
          expect(row).toHaveLength(declaration.columns.length);
          expect(row.map((value, column) => valueProblem(value, declaration.columns[column]!)).filter((problem) => problem !== null)).toEqual([]);
        }
      }
      expect(declared[0]?.foreignKeys).toEqual([
        { name: 'account_number', references: 'accounts' },
        { name: 'posted_by', references: 'users' },
      ]);
      expect(indexXml).toContain('<RecordDelimiter>&#13;&#10;</RecordDelimiter>');
      expect(indexXml).toContain('<DigitGroupingSymbol>.</DigitGroupingSymbol>');
      expect(indexXml).toMatch(/<Date>\s*<Format>DD\.MM\.YYYY<\/Format>\s*<\/Date>/);
      expect(indexXml).toMatch(/<Numeric>\s*<Accuracy>2<\/Accuracy>\s*<\/Numeric>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
