import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadServerConfig, serverConfigHelp } from '../config';
import { DEMO_COMPANY_ID, seedDemoData } from '../demo-data';
import { openEventStore } from '../event-store-connection';

export function register(program: Command): void {
  program
    .command('seed')
    .description(
      `Seed the demo ledger: company ${DEMO_COMPANY_ID} with the SKR03 chart, the current fiscal year and about fifty transactions. ` +
        'Idempotent: running it again adds nothing.',
    )
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { progress: boolean }) => seed(options));
}

async function seed(options: { progress: boolean }): Promise<void> {
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  try {
    const showProgress = options.progress && process.stderr.isTTY === true;
    const bar = new SingleBar({ format: 'seeding |{bar}| {value}/{total} steps', stream: process.stderr }, Presets.shades_classic);
    let started = false;
    const summary = await seedDemoData(opened.store, {
      onProgress: (done, total) => {
        if (!showProgress) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
    if (started) bar.stop();
    process.stdout.write(
      `${summary.eventsAppended === 0 ? 'already seeded' : `seeded ${summary.eventsAppended} events`}: company ${summary.companyId}, fiscal year ${summary.year}, ` +
        `${summary.posted} posted transactions, ${summary.awaiting} awaiting submission or approval (${opened.location})\n`,
    );
  } finally {
    await opened.close();
  }
}
