import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import pg from 'pg';
import { createLedgerCommandHandler, importSaft, LedgerCommands, readFiscalYear, trialBalance, type CommandContext } from '@neuroerp/command-api';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import { PostgresEventStore } from '@neuroerp/infra';
import { writeGobdExport, writeJournalEntries, writeSaftExport } from '../commands/export';
import { parseCsv } from './csv';
import { GOBD_COLUMN_DELIMITER } from './gobd/gobd';
import { JOURNAL_ENTRY_COLUMNS } from './journal-entries/journal-entries';
import { declaredTables, valueProblem } from './test-support';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const COMPANY = 'acme-interchange';
const SAFT_XSD = path.resolve(__dirname, '../../../schemas/saf-t/Norwegian_SAF-T_Financial_Schema_v_1.10.xsd');

const as = (userId: string, role: CommandContext['actor']['role']): CommandContext => ({ actor: { userId, role }, correlationId: `test-${userId}`, requestId: null });
const anna = as('anna', 'accountant');
const bert = as('bert', 'approver');
const system = as('system', 'admin');

function draft(transactionId: string, postingDate: string, amount: string, debit: string, credit: string, linkedDocumentIds: string[] = []) {
  return {
    transactionId,
    companyId: COMPANY,
    type: 'journal' as const,
    documentDate: postingDate,
    postingDate,
    description: `test ${transactionId}`,
    linkedDocumentIds,
    lines: [
      { accountNumber: debit, side: 'debit' as const, amount, currency: 'EUR' },
      { accountNumber: credit, side: 'credit' as const, amount, currency: 'EUR' },
    ],
  };
}

async function openStore(purpose: string): Promise<{ schema: string; store: PostgresEventStore }> {
  const schema = `test_${purpose}_${randomBytes(4).toString('hex')}`;
  return { schema, store: await PostgresEventStore.connect({ connectionString, schema }) };
}

async function closeStore(opened: { schema: string; store: PostgresEventStore }): Promise<void> {
  await opened.store.close();
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${opened.schema}" cascade`);
  } finally {
    await client.end();
  }
}

async function balances(store: PostgresEventStore, year: number): Promise<Record<string, string>> {
  const book = await readFiscalYear(store, COMPANY, year);
  return Object.fromEntries(
    [...trialBalance(book.postings.map((recorded) => recorded.posting)).entries()]
      .filter(([, value]) => value !== 0n)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([account, value]) => [account, value.toString()]),
  );
}

describe('auditor exports of a fiscal year', () => {
  let opened: { schema: string; store: PostgresEventStore };
  let dir: string;

  beforeAll(async () => {
    opened = await openStore('interchange');
    dir = await mkdtemp(path.join(os.tmpdir(), 'interchange-'));
    const ledger = new LedgerCommands(createLedgerCommandHandler(opened.store));
    await ledger.importChart(system, { companyId: COMPANY, accounts: [...SKR03_DEMO_CHART] });
    await ledger.openFiscalYear(system, {
      companyId: COMPANY,
      year: 2026,
      companyCurrency: 'EUR',
      approvalThreshold: '1000.00',
      roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
      retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
      openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
    });
    await ledger.draftTransaction(anna, draft('t-small', '2026-01-30', '119.00', '1200', '8400', ['doc-1']), { submit: true });
    await ledger.postTransaction(anna, 't-small', undefined);
    await ledger.draftTransaction(anna, draft('t-big', '2026-02-10', '5000.00', '3400', '1600'), { submit: true });
    // Stands in for the approval workflow's decision (t-big is above the threshold).
    await ledger.approveTransaction(bert, 't-big', undefined, { through: 'workflow' });
    await ledger.postTransaction(anna, 't-big', undefined);
    await ledger.draftTransaction(system, draft('t-system', '2026-02-12', '10.00', '1200', '8400'), { submit: true });
    await ledger.postTransaction(system, 't-system', undefined);
    await ledger.reverseTransaction(anna, { transactionId: 't-small', reversalTransactionId: 't-small-reversal', postingDate: '2026-02-15', reason: 'wrong customer' }, undefined);
  });

  afterAll(async () => {
    await closeStore(opened);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the journal-entry population with users, source, period end, reversal links and approvals', async () => {
    const file = path.join(dir, 'journal-entries.csv');
    const message = await writeJournalEntries(opened.store, { company: COMPANY, fiscalYear: '2026', out: file });
    expect(message).toContain('4 transactions, 8 lines');
    const [header, ...rows] = parseCsv(await readFile(file, 'utf8'), ',');
    expect(header).toEqual([...JOURNAL_ENTRY_COLUMNS]);
    const column = (row: string[] | undefined, name: (typeof JOURNAL_ENTRY_COLUMNS)[number]) => row?.[JOURNAL_ENTRY_COLUMNS.indexOf(name)];
    const first = (transactionId: string) => rows.find((row) => column(row, 'transaction_id') === transactionId);
    expect(rows).toHaveLength(8);
    expect(column(first('t-small'), 'period_end')).toBe('Y');
    expect(column(first('t-small'), 'reversed_by_transaction_id')).toBe('t-small-reversal');
    expect(column(first('t-small-reversal'), 'reverses_transaction_id')).toBe('t-small');
    expect(column(first('t-small-reversal'), 'reversal_reason')).toBe('wrong customer');
    expect(column(first('t-big'), 'approved_by')).toBe('bert');
    expect(column(first('t-big'), 'approvals')).toMatch(/^bert@20/);
    expect(column(first('t-big'), 'period_end')).toBe('N');
    expect(column(first('t-big'), 'source')).toBe('manual');
    expect(column(first('t-system'), 'source')).toBe('system');
    expect(column(first('t-big'), 'entry_date')).toBe(new Date().toISOString().slice(0, 10));
  });

  it('writes the GoBD tables and an index.xml that declares each of them exactly', async () => {
    const out = path.join(dir, 'gobd');
    await writeGobdExport(opened.store, { company: COMPANY, fiscalYear: '2026', out });
    execFileSync('xmllint', ['--noout', path.join(out, 'index.xml')], { stdio: 'pipe' });
    const parser = new XMLParser({ isArray: (name) => ['Table', 'VariablePrimaryKey', 'VariableColumn', 'ForeignKey'].includes(name) });
    const declared = declaredTables(await readFile(path.join(out, 'index.xml'), 'utf8'), (xml) => parser.parse(xml));
    expect(declared.map((table) => table.url)).toEqual(['journal.csv', 'accounts.csv', 'documents.csv', 'users.csv', 'approvals.csv']);
    const files: Record<string, string[][]> = {};
    for (const table of declared) {
      const rows = parseCsv(await readFile(path.join(out, table.url), 'utf8'), GOBD_COLUMN_DELIMITER);
      files[table.name] = rows;
      for (const row of rows) {
        expect(row).toHaveLength(table.columns.length);
        expect(row.map((value, index) => valueProblem(value, table.columns[index]!)).filter((problem) => problem !== null)).toEqual([]);
      }
    }
    expect(files.journal).toHaveLength(8);
    // The reversal carries the original's documents.
    expect(files.documents).toEqual([
      ['doc-1', 't-small', '1', '30.01.2026'],
      ['doc-1', 't-small-reversal', '4', '15.02.2026'],
    ]);
    // Every foreign key resolves.
    const users = new Set(files.users?.map((row) => row[0]));
    const accounts = new Set(files.accounts?.map((row) => row[0]));
    for (const row of files.journal ?? []) {
      expect(accounts.has(row[7])).toBe(true);
      expect(users.has(row[14])).toBe(true);
    }
    expect(files.approvals?.filter((row) => row[0] === 't-big').map((row) => [row[2], row[3]])).toEqual([
      ['submitted', 'anna'],
      ['approved', 'bert'],
    ]);
    await expect(writeGobdExport(opened.store, { company: COMPANY, fiscalYear: '2026', out })).rejects.toThrow('is not empty');
  });

  it('writes SAF-T that is valid against the XSD and imports into a fresh store with the same trial balance', async () => {
    const file = path.join(dir, 'saft.xml');
    await writeSaftExport(opened.store, { company: COMPANY, from: '2026-01', to: '2026-12', out: file, user: 'auditor', companyName: 'ACME GmbH', city: 'Berlin', postalCode: '10115', contact: 'Ada Lovelace' }, 'test');
    execFileSync('xmllint', ['--noout', '--schema', SAFT_XSD, file], { stdio: 'pipe' });
    const fresh = await openStore('interchange_fresh');
    try {
      const commands = new LedgerCommands(createLedgerCommandHandler(fresh.store));
      const report = await importSaft(commands, anna, await readFile(file, 'utf8'), { companyId: COMPANY, approvalThreshold: '100000.00' });
      expect(report).toMatchObject({ accepted: true, closingBalanceMismatches: [], counts: { transactions: 4, lines: 8 }, totals: { debit: '5248.00', credit: '5248.00' } });
      expect(await balances(fresh.store, 2026)).toEqual(await balances(opened.store, 2026));
      expect(Object.keys(await balances(fresh.store, 2026)).length).toBeGreaterThan(2);
    } finally {
      await closeStore(fresh);
    }
  });

  it('refuses a month range across fiscal years and a missing fiscal year', async () => {
    const file = path.join(dir, 'never.xml');
    await expect(writeSaftExport(opened.store, { company: COMPANY, from: '2026-11', to: '2027-01', out: file, user: 'auditor' }, 'test')).rejects.toMatchObject({ code: 'EXPORT_RANGE_INVALID' });
    await expect(writeJournalEntries(opened.store, { company: COMPANY, fiscalYear: '2019', out: file })).rejects.toMatchObject({ code: 'FISCAL_YEAR_NOT_FOUND' });
    await writeFile(file, '');
  });
});
