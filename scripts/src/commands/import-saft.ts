import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createLedgerCommandHandler, importSaft, LedgerCommands, SAFT_DEFAULT_APPROVAL_THRESHOLD, SAFT_FILE_BYTES_MAX, type SaftImportReport } from '@neuroerp/command-api';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp } from '../config';
import { DEMO_COMPANY_ID } from '../demo-data';
import { openEventStore } from '../event-store-connection';
import { progressBar } from '../progress-bar';

/** Exit code when the file was read but the import rejected it (nothing written); 1 stays for failures to run at all. */
export const IMPORT_REJECTED_EXIT_CODE = 3;

interface ImportSaftOptions {
  company: string;
  actor: string;
  approvalThreshold: string;
  json?: boolean;
  progress: boolean;
}

export function register(program: Command): void {
  const importCommand = program.commands.find((command) => command.name() === 'import') ?? program.command('import').description('Import data from other systems.');
  importCommand
    .command('saft')
    .argument('<file>', 'a SAF-T Financial XML file (Norwegian schema v1.10)')
    .description(
      'Import a SAF-T Financial file into the ledger: accounts, opening balances (as an opening-balance transaction), journals and ' +
        'transactions (drafted, submitted and posted under ids derived from the file). Customers and suppliers are listed in the ' +
        'report, not stored. Rejected as a whole (nothing written) when a transaction is unbalanced or names an unknown account; ' +
        'stated closing balances that differ from opening + movements are listed with both figures. Importing the same file again changes nothing.',
    )
    .option('--company <id>', 'the company to import into', DEMO_COMPANY_ID)
    .option('--actor <userId>', 'the user id the ledger records as drafting and posting', 'saft-import')
    .option('--approval-threshold <amount>', 'approval threshold of fiscal years the import opens; above it, transactions wait for approval', SAFT_DEFAULT_APPROVAL_THRESHOLD)
    .option('--json', 'print the whole import report as JSON')
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nExit codes: 0 imported (or already imported), 1 could not run, 2 invalid configuration, ${IMPORT_REJECTED_EXIT_CODE} rejected.\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((file: string, options: ImportSaftOptions) => runImport(file, options));
}

async function runImport(file: string, options: ImportSaftOptions): Promise<void> {
  const resolved = path.resolve(file);
  const size = (await stat(resolved)).size;
  if (size > SAFT_FILE_BYTES_MAX) throw new UsageError(`${resolved} is ${size} bytes; SAF-T files up to ${SAFT_FILE_BYTES_MAX} bytes are accepted.`);
  const xml = await readFile(resolved, 'utf8');
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  const bar = progressBar(options.progress, 'importing |{bar}| {value}/{total} steps');
  try {
    const commands = new LedgerCommands(createLedgerCommandHandler(opened.store));
    const context = { actor: { userId: options.actor, role: 'accountant' as const }, correlationId: `saft-import-${randomUUID()}`, requestId: null };
    const report = await importSaft(commands, context, xml, {
      companyId: options.company,
      approvalThreshold: options.approvalThreshold,
      onProgress: bar.onProgress,
    });
    bar.stop();
    process.stdout.write(options.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${describeImportReport(report)}\n`);
    if (!report.accepted) process.exitCode = IMPORT_REJECTED_EXIT_CODE;
  } finally {
    await opened.close();
  }
}

/** The report as a few lines of text: what the file holds, what was done, what is wrong with it. */
export function describeImportReport(report: SaftImportReport): string {
  const { counts, totals, applied } = report;
  const lines = [
    `SAF-T file of ${report.file.companyName} (${report.file.registrationNumber}), ${report.file.selection.from} to ${report.file.selection.to}, ${report.file.currency}: ` +
      `${counts.accounts} accounts, ${counts.customers} customers, ${counts.suppliers} suppliers (reported, not stored), ${counts.journals} journals, ` +
      `${counts.transactions} transactions with ${counts.lines} lines; debit ${totals.debit}, credit ${totals.credit}.`,
  ];
  if (applied === null) lines.push(`REJECTED, nothing imported into ${report.companyId}:`);
  for (const rejection of report.rejections) lines.push(`  ${rejection.code} ${rejection.subject}: ${rejection.detail}`);
  if (applied !== null) {
    lines.push(
      `Imported into ${report.companyId}: ${applied.accountsOpened} accounts opened, fiscal years opened: ${applied.fiscalYearsOpened.join(', ') || 'none'}, ` +
        `${applied.transactionsPosted} transactions posted, ${applied.transactionsAlreadyPosted} already posted, ${applied.eventsAppended} events appended.`,
    );
    if (applied.awaitingApproval.length > 0) lines.push(`  awaiting approval (above the threshold): ${applied.awaitingApproval.join(', ')}`);
  }
  if (report.openingBalance !== null && !/^-?0(\.0+)?$/.test(report.openingBalance.balancingAmount)) {
    lines.push(`Opening balances do not sum to zero: the opening-balance account takes ${report.openingBalance.balancingAmount}.`);
  }
  if (report.closingBalanceMismatches.length > 0) lines.push('Stated closing balance ≠ opening balance + movements (debit minus credit; nothing was changed):');
  for (const mismatch of report.closingBalanceMismatches) {
    lines.push(`  account ${mismatch.accountId}: stated ${mismatch.statedClosingBalance}, computed ${mismatch.computedClosingBalance} (opening ${mismatch.openingBalance} + movements ${mismatch.movements})`);
  }
  return lines.join('\n');
}
