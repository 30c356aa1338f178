import type { Command } from 'commander';
import {
  createDocumentsCommandHandler,
  createLedgerCommandHandler,
  createWorkflowsCommandHandler,
  DocumentCommands,
  LedgerCommands,
  UserDirectory,
  WorkflowCommands,
} from '@neuroerp/command-api';
import { loadServerConfig, serverConfigHelp } from '../config';
import { DEMO_COMPANY_ID, DEMO_MONTHS, seedDemoData, type SeedSummary } from '../demo-data';
import { openEventStore } from '../event-store-connection';
import { openFileStore } from '../file-store';
import { openPrivacy } from '../privacy';
import { progressBar } from '../progress-bar';

export function register(program: Command): void {
  program
    .command('seed')
    .description(
      `Seed the demo data: company ${DEMO_COMPANY_ID} with the SKR03 chart, ${DEMO_MONTHS} months of transactions up to today ` +
        '(the fiscal years they fall in opened), invoices and contracts as documents with PDF attachments, approval workflows ' +
        'completed and waiting, and two invoice documents posted for the process managers to book (when the server runs). ' +
        'Idempotent: running it again adds nothing.',
    )
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { progress: boolean }) => seed(options));
}

async function seed(options: { progress: boolean }): Promise<void> {
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  const privacy = await openPrivacy(config, opened.connectionString).catch(async (error: unknown) => {
    await opened.close();
    throw error;
  });
  const files = await openFileStore(config).catch(async (error: unknown) => {
    await privacy.close();
    await opened.close();
    throw error;
  });
  try {
    const bar = progressBar(options.progress, 'seeding |{bar}| {value}/{total} steps');
    // Users and documents carry personal data: encrypted per subject on the way in.
    const store = privacy.protect(opened.store);
    const dependencies = {
      store,
      ledger: new LedgerCommands(createLedgerCommandHandler(store)),
      documents: new DocumentCommands(createDocumentsCommandHandler(store), files),
      workflows: new WorkflowCommands(createWorkflowsCommandHandler(store)),
      users: new UserDirectory(store),
    };
    const summary = await seedDemoData(dependencies, {
      onProgress: bar.onProgress,
    });
    bar.stop();
    process.stdout.write(`${describeSummary(summary)} (${opened.location})\n`);
  } finally {
    await files.close();
    await privacy.close();
    await opened.close();
  }
}

/** One line: what is there now, and whether this run added it. */
export function describeSummary(summary: SeedSummary): string {
  const { transactions, documents, workflows } = summary;
  return (
    `${summary.eventsAppended === 0 ? 'already seeded' : `seeded ${summary.eventsAppended} events`}: company ${summary.companyId}, fiscal years ${summary.fiscalYears.join(', ')}; ` +
    `${transactions.planned} transactions (${transactions.posted} posted, ${transactions.awaitingApproval} awaiting approval, ${transactions.drafts} drafts); ` +
    `${documents.total} documents with ${documents.attachments} PDF attachments, ${documents.postedForBooking} posted for booking; ` +
    `${workflows.running + workflows.completed} workflows (${workflows.running} running, ${workflows.completed} completed)`
  );
}
