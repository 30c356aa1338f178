import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { describeChainVerification, verifyEventLog } from '@neuroerp/infra';
import { loadServerConfig, serverConfigHelp } from '../config';
import { openEventStore } from '../event-store-connection';

/** Exit code when the chain is broken (1 stays for failures to run at all). */
export const CHAIN_BROKEN_EXIT_CODE = 3;

export function register(program: Command): void {
  program
    .command('verify')
    .description('Recompute the hash chain over the whole event log and name the first broken position.')
    .option('--json', 'print the result as one JSON object instead of a sentence')
    .option('--no-progress', 'do not draw a progress bar')
    .addHelpText('after', `\nExit codes: 0 chain intact, ${CHAIN_BROKEN_EXIT_CODE} chain broken, 1 could not run.\n\nEnvironment:\n${serverConfigHelp()}`)
    .action((options: { json?: boolean; progress: boolean }) => verify(options));
}

async function verify(options: { json?: boolean; progress: boolean }): Promise<void> {
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  try {
    const head = await opened.store.readHead();
    const showProgress = options.progress && !options.json && process.stderr.isTTY === true;
    const bar = new SingleBar(
      { format: 'verifying |{bar}| {value}/{total} events | {eps} events/s | ETA {eta}s', stream: process.stderr },
      Presets.shades_classic,
    );
    const startedAt = performance.now();
    if (showProgress) bar.start(Number(head.position), 0, { eps: 0 });
    const result = await verifyEventLog(opened.store, {
      head,
      onProgress: (checked) => {
        const seconds = (performance.now() - startedAt) / 1000;
        if (showProgress) bar.update(checked, { eps: Math.round(checked / Math.max(seconds, 0.001)) });
      },
    });
    if (showProgress) bar.stop();
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify(
          { ok: result.firstBreak === null, ...result, headPosition: result.headPosition?.toString() ?? null, store: opened.location },
          (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
        )}\n`,
      );
    } else {
      process.stdout.write(`${describeChainVerification(result)}\n`);
    }
    if (result.firstBreak !== null) process.exitCode = CHAIN_BROKEN_EXIT_CODE;
  } finally {
    await opened.close();
  }
}
