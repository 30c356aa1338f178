import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { exportSaft, parseYearMonth } from '@neuroerp/command-api';
import type { EventStore } from '@neuroerp/infra';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp } from '../config';
import { DEMO_COMPANY_ID } from '../demo-data';
import { openEventStore } from '../event-store-connection';
import { progressBar, type ProgressBar } from '../progress-bar';
import { gobdIndexXml, gobdTableCsv, gobdTables } from '../interchange/gobd/gobd';
import { journalEntriesCsv } from '../interchange/journal-entries/journal-entries';
import { readLedgerYear } from '../interchange/ledger-year';

/**
 * `neuroerp export saft | gobd | journal-entries`: the auditor interchange files, read from
 * the ledger's streams. `export log` (the event log for offline verification) lives in
 * export-log.ts; both add themselves to the one `export` command.
 */

function fiscalYearOption(value: string): number {
  if (!/^[0-9]{4}$/.test(value)) throw new UsageError(`--fiscal-year ${value}: give a year like 2026.`);
  return Number(value);
}

async function withStore<T>(work: (store: EventStore) => Promise<T>): Promise<T> {
  const opened = await openEventStore(loadServerConfig());
  try {
    return await work(opened.store);
  } finally {
    await opened.close();
  }
}

// ---- SAF-T ---------------------------------------------------------------------------------

export interface SaftExportCliOptions {
  company: string;
  from: string;
  to: string;
  out: string;
  companyName?: string;
  registrationNumber?: string;
  city?: string;
  postalCode?: string;
  contact?: string;
  user: string;
}

export async function writeSaftExport(store: EventStore, options: SaftExportCliOptions, version: string): Promise<string> {
  const [firstName = '', ...lastNames] = (options.contact ?? '').split(' ');
  const { xml, summary } = await exportSaft(store, {
    companyId: options.company,
    company: {
      name: options.companyName ?? options.company,
      registrationNumber: options.registrationNumber ?? options.company,
      city: options.city ?? '',
      postalCode: options.postalCode ?? '',
      contactFirstName: firstName,
      contactLastName: lastNames.join(' '),
    },
    from: parseYearMonth(options.from),
    to: parseYearMonth(options.to),
    createdDate: new Date().toISOString().slice(0, 10),
    software: { companyName: 'VALEO', id: 'VALEO NeuroERP', version },
    userId: options.user,
  });
  await writeFile(options.out, xml);
  return `SAF-T Financial for ${options.company}, ${options.from} to ${options.to}: ${summary.accounts} accounts, ${summary.transactions} transactions with ${summary.lines} lines, debit ${summary.totalDebit}, credit ${summary.totalCredit} → ${path.resolve(options.out)}`;
}

// ---- GoBD ----------------------------------------------------------------------------------

export interface GobdExportCliOptions {
  company: string;
  fiscalYear: string;
  out: string;
  progress?: boolean;
}

export async function writeGobdExport(store: EventStore, options: GobdExportCliOptions, onProgress?: ProgressBar['onProgress']): Promise<string> {
  const year = await readLedgerYear(store, options.company, fiscalYearOption(options.fiscalYear), onProgress);
  const outDir = path.resolve(options.out);
  await mkdir(outDir, { recursive: true });
  if ((await readdir(outDir)).length > 0) throw new UsageError(`${outDir} is not empty; a GoBD export goes into an empty folder.`);
  const tables = gobdTables(year);
  for (const table of tables) await writeFile(path.join(outDir, table.url), gobdTableCsv(table));
  await writeFile(
    path.join(outDir, 'index.xml'),
    gobdIndexXml(year, tables, { name: options.company, location: '', comment: `GoBD data access (Z3), fiscal year ${year.year}, exported by VALEO NeuroERP` }),
  );
  return `GoBD export of ${options.company} ${year.year}: ${tables.map((table) => `${table.url} (${table.rows.length} rows)`).join(', ')} and index.xml → ${outDir}`;
}

// ---- journal entries -----------------------------------------------------------------------

export interface JournalEntriesCliOptions {
  company: string;
  fiscalYear: string;
  out: string;
}

export async function writeJournalEntries(store: EventStore, options: JournalEntriesCliOptions, onProgress?: ProgressBar['onProgress']): Promise<string> {
  const year = await readLedgerYear(store, options.company, fiscalYearOption(options.fiscalYear), onProgress);
  await writeFile(options.out, journalEntriesCsv(year));
  const lines = year.postings.reduce((total, recorded) => total + recorded.posting.lines.length, 0);
  return `Journal entries of ${options.company} ${year.year}: ${year.postings.length} transactions, ${lines} lines → ${path.resolve(options.out)}`;
}

export function register(program: Command): void {
  const exportCommand = program.commands.find((command) => command.name() === 'export') ?? program.command('export').description('Export data for auditors and other systems.');
  const environment = `\nEnvironment:\n${serverConfigHelp()}`;
  exportCommand
    .command('saft')
    .description('Write SAF-T Financial (Norwegian schema v1.10) for a range of months inside one fiscal year: accounts with opening and closing balances, the postings as journals by type.')
    .requiredOption('--from <YYYY-MM>', 'first month')
    .requiredOption('--to <YYYY-MM>', 'last month (same fiscal year)')
    .requiredOption('--out <file>', 'the XML file to write')
    .option('--company <id>', 'the company', DEMO_COMPANY_ID)
    .option('--company-name <name>', 'company name for the header (default: the company id)')
    .option('--registration-number <number>', 'company registration number for the header (default: the company id)')
    .option('--city <city>', 'company address: city')
    .option('--postal-code <code>', 'company address: postal code')
    .option('--contact <name>', 'contact person, "First Last"')
    .option('--user <id>', 'the user the header names as creating the file', 'neuroerp-cli')
    .addHelpText('after', environment)
    .action(async (options: SaftExportCliOptions) => {
      const message = await withStore((store) => writeSaftExport(store, options, program.version() ?? '0'));
      process.stdout.write(`${message}\n`);
    });
  exportCommand
    .command('gobd')
    .description('Write the GoBD data-access export (Z3) of a fiscal year: journal, accounts, documents index, users and approvals as CSV, described by index.xml (GDPdU Beschreibungsstandard).')
    .requiredOption('--fiscal-year <YYYY>', 'the fiscal year')
    .requiredOption('--out <dir>', 'an empty or new folder')
    .option('--company <id>', 'the company', DEMO_COMPANY_ID)
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', environment)
    .action(async (options: GobdExportCliOptions) => {
      const bar = progressBar(options.progress !== false, 'reading transactions |{bar}| {value}/{total}');
      const message = await withStore((store) => writeGobdExport(store, options, bar.onProgress)).finally(() => bar.stop());
      process.stdout.write(`${message}\n`);
    });
  exportCommand
    .command('journal-entries')
    .description(
      'Write the journal-entry population of a fiscal year as CSV: every posted line with user, entry and posting date, manual/system source, ' +
        'period-end flag (last 3 days of the month or year-end closing), reversal links, approvals and their actors.',
    )
    .requiredOption('--fiscal-year <YYYY>', 'the fiscal year')
    .requiredOption('--out <file.csv>', 'the CSV file to write')
    .option('--company <id>', 'the company', DEMO_COMPANY_ID)
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', environment)
    .action(async (options: JournalEntriesCliOptions & { progress: boolean }) => {
      const bar = progressBar(options.progress, 'reading transactions |{bar}| {value}/{total}');
      const message = await withStore((store) => writeJournalEntries(store, options, bar.onProgress)).finally(() => bar.stop());
      process.stdout.write(`${message}\n`);
    });
}
