import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { dropReplay, listDeadLetters, listReplays, rebuildProjection, reconcileTrialBalances, replayProjection, retryDeadLetter, type RebuildResult } from '@neuroerp/projections';
import { UsageError } from '../cli-errors';
import { loadServerConfig, serverConfigHelp } from '../config';
import { openEventStore } from '../event-store-connection';
import { openPrivacy } from '../privacy';
import { ProjectionService } from '../projections';

/** Exit code when a rebuild's verification found differences and the switch was refused (1 stays for failures to run at all). */
export const VERIFY_DIFFERENT_EXIT_CODE = 4;
/** Exit code when a dead-letter retry did not resolve it. */
export const RETRY_FAILED_EXIT_CODE = 5;
/** Exit code when reconciliation found a difference between a read model and the events. */
export const RECONCILE_DIFFERENT_EXIT_CODE = 6;
const DEAD_LETTERS_LISTED_DEFAULT = 50;
const DEAD_LETTERS_LISTED_MAX = 1_000;

const json = (value: unknown): string => `${JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2)}\n`;

export function register(program: Command): void {
  const projections = program
    .command('projections')
    .description('Read models: status, rebuild with verification and atomic switch, dead letters.')
    .addHelpText('after', `\nEnvironment:\n${serverConfigHelp()}`);
  projections
    .command('status')
    .description('Position, lag (events and seconds), state and unresolved dead letters per projection.')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) => withService((service) => status(service, options)));
  projections
    .command('rebuild')
    .argument('<name>', 'projection name (see `projections status`)')
    .description('Build the projection into fresh tables from position 0 while the live ones serve, verify them against the live ones at the same position, then switch atomically.')
    .option('--skip-verify', 'switch without comparing row counts and checksums')
    .option('--force', 'switch even when the verification finds differences')
    .option('--no-progress', 'do not draw a progress bar')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\nExit codes: 0 switched, ${VERIFY_DIFFERENT_EXIT_CODE} differences found and not switched, 1 failed (the first failing event stops a rebuild).`)
    .action((name: string, options: RebuildCliOptions) => withService((service) => rebuild(service, name, options)));
  projections
    .command('reconcile')
    .description('Compare the trial balance of the balance and general-ledger read models with one recomputed from the events, at each read model\'s checkpoint. Reports; never corrects.')
    .option('--as-of <date>', 'posting date (YYYY-MM-DD) the trial balance is taken at', '9999-12-31')
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExit codes: 0 no difference, ${RECONCILE_DIFFERENT_EXIT_CODE} differences found, 1 could not run.`)
    .action((options: { asOf: string; json?: boolean }) => withService((service) => reconcile(service, options)));
  projections
    .command('replay')
    .argument('<name>', 'projection name')
    .description('Build a copy of the projection as of a position or a recorded time into a new schema, for exploration (nothing keeps it up to date).')
    .option('--until-position <p>', 'include events up to and including this global position')
    .option('--until <iso>', 'include every event recorded at or before this ISO timestamp')
    .requiredOption('--into <schema>', 'new PostgreSQL schema (lower-case identifier) for the copy')
    .action((name: string, options: { untilPosition?: string; until?: string; into: string }) => withService((service) => replay(service, name, options)));
  projections
    .command('replays')
    .description('List the replay copies.')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => withService(async (service) => {
      const replays = await listReplays(service.db, service.controlSchema);
      if (options.json) process.stdout.write(json({ replays }));
      else if (replays.length === 0) process.stdout.write('no replays\n');
      else for (const item of replays) process.stdout.write(`${item.schema}: ${item.name} v${item.version} up to position ${item.position}${item.untilRecordedAt === null ? '' : ` (recorded until ${item.untilRecordedAt})`}, ${item.events} events, built ${item.createdAt.toISOString()}\n`);
    }));
  projections
    .command('drop-replay')
    .argument('<schema>', 'the schema of a replay copy (from `projections replays`)')
    .description('Drop a replay copy; refuses any schema that is not a recorded replay.')
    .action((schema: string) => withService(async (service) => {
      if (!(await dropReplay(service.db, service.controlSchema, schema))) throw new UsageError(`${schema} is not a replay copy`);
      process.stdout.write(`dropped ${schema}\n`);
    }));
  const deadLetters = projections.command('dead-letters').description('Events continuous mode could not apply.');
  deadLetters
    .command('list')
    .description('List unresolved dead letters (oldest first).')
    .option('--name <projection>', 'only this projection')
    .option('--all', 'include resolved ones')
    .option('--limit <n>', `at most n (1..${DEAD_LETTERS_LISTED_MAX})`, String(DEAD_LETTERS_LISTED_DEFAULT))
    .option('--json', 'print JSON')
    .action((options: { name?: string; all?: boolean; limit: string; json?: boolean }) => withService((service) => listLetters(service, options)));
  deadLetters
    .command('retry')
    .argument('<id>', 'dead-letter id (from `dead-letters list`)')
    .description('Apply the event again to the table set it failed on, if that is still active.')
    .action((id: string) => withService((service) => retry(service, id)));
}

interface RebuildCliOptions {
  skipVerify?: boolean;
  force?: boolean;
  progress: boolean;
  json?: boolean;
}

async function withService(run: (service: ProjectionService) => Promise<void>): Promise<void> {
  const config = loadServerConfig();
  const opened = await openEventStore(config);
  try {
    const privacy = await openPrivacy(config, opened.connectionString);
    try {
      const service = await ProjectionService.open({ connectionString: opened.connectionString, eventStoreSchema: config.EVENT_STORE_SCHEMA, store: opened.store, reveal: (events) => privacy.cipher.reveal(events) });
      try {
        await run(service);
      } finally {
        await service.close();
      }
    } finally {
      await privacy.close();
    }
  } finally {
    await opened.close();
  }
}

async function status(service: ProjectionService, options: { json?: boolean }): Promise<void> {
  const statuses = await service.status();
  if (options.json) {
    process.stdout.write(json({ projections: statuses }));
    return;
  }
  for (const item of statuses) {
    const active = item.active === null ? 'none' : `v${item.active.version} build ${item.active.build}`;
    const building = item.building.map((build) => `v${build.version} build ${build.build} at ${build.position}`).join(', ');
    process.stdout.write(
      `${item.name} (code v${item.version}): ${item.state}, active ${active}, position ${item.position ?? '-'} of ${item.headPosition}, ` +
        `lag ${item.lagEvents ?? '-'} events / ${item.lagSeconds === null ? '-' : item.lagSeconds.toFixed(1)} s, dead letters ${item.deadLetters}` +
        `${building === '' ? '' : `, building ${building}`}\n`,
    );
  }
}

async function rebuild(service: ProjectionService, name: string, options: RebuildCliOptions): Promise<void> {
  const projection = service.projection(name);
  const showProgress = options.progress && !options.json && process.stderr.isTTY === true;
  const bar = new SingleBar({ format: `rebuilding ${name} |{bar}| {value}/{total} events | {eps} events/s | ETA {eta}s`, stream: process.stderr }, Presets.shades_classic);
  const startedAt = performance.now();
  let started = false;
  const result = await rebuildProjection({
    db: service.db,
    controlSchema: service.controlSchema,
    store: service.options.store,
    projection,
    headPosition: service.headPosition,
    skipVerify: options.skipVerify,
    force: options.force,
    onProgress: (position, head) => {
      if (!showProgress) return;
      if (!started) {
        bar.start(Number(head), 0, { eps: 0 });
        started = true;
      }
      const seconds = (performance.now() - startedAt) / 1000;
      bar.update(Number(position), { eps: Math.round(Number(position) / Math.max(seconds, 0.001)) });
    },
  });
  if (started) bar.stop();
  process.stdout.write(options.json ? json(result) : describeRebuild(result));
  if (!result.switched) process.exitCode = VERIFY_DIFFERENT_EXIT_CODE;
}

function describeRebuild(result: RebuildResult): string {
  const eps = result.seconds > 0 ? Math.round(Number(result.events) / result.seconds) : 0;
  const lines = [
    `built ${result.rebuilt.schema} up to position ${result.position} (${result.events} events in ${result.seconds.toFixed(2)} s, ${eps} events/s)`,
  ];
  const verification = result.verification;
  if (verification.outcome === 'skipped') lines.push(`verification skipped: ${verification.reason ?? ''}`);
  for (const table of verification.tables) {
    const same = table.liveRows === table.rebuiltRows && table.liveChecksum === table.rebuiltChecksum;
    lines.push(`  ${table.table}: live ${table.liveRows} rows, rebuilt ${table.rebuiltRows} rows, checksums ${same ? 'equal' : 'DIFFERENT'}`);
    for (const row of table.onlyLive) lines.push(`    only live:    ${row}`);
    for (const row of table.onlyRebuilt) lines.push(`    only rebuilt: ${row}`);
  }
  lines.push(
    result.switched
      ? `switched: queries now read ${result.rebuilt.schema}${result.previous === null ? '' : ` (was ${result.previous.schema})`}`
      : 'NOT switched: the rebuilt tables differ from the live ones (use --force to switch anyway); the rebuilt tables were dropped',
  );
  return `${lines.join('\n')}\n`;
}

async function listLetters(service: ProjectionService, options: { name?: string; all?: boolean; limit: string; json?: boolean }): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > DEAD_LETTERS_LISTED_MAX) throw new UsageError(`--limit must be 1..${DEAD_LETTERS_LISTED_MAX}`);
  if (options.name !== undefined) service.projection(options.name);
  const letters = await listDeadLetters(service.db, service.controlSchema, { name: options.name, includeResolved: options.all, limit });
  if (options.json) {
    process.stdout.write(json({ deadLetters: letters }));
    return;
  }
  if (letters.length === 0) process.stdout.write('no dead letters\n');
  for (const letter of letters) {
    process.stdout.write(
      `#${letter.id} ${letter.name} v${letter.version} build ${letter.build} position ${letter.position} ${letter.eventType}${letter.resolved ? ' (resolved)' : ''}: ${letter.error}\n`,
    );
  }
}

async function retry(service: ProjectionService, id: string): Promise<void> {
  if (!/^[0-9]{1,18}$/.test(id)) throw new UsageError('dead-letter id must be a number');
  const outcome = await retryDeadLetter(service.db, service.controlSchema, service.options.store, service.projections, id);
  process.stdout.write(`dead letter ${id}: ${outcome}\n`);
  if (outcome !== 'resolved') process.exitCode = RETRY_FAILED_EXIT_CODE;
}

async function reconcile(service: ProjectionService, options: { asOf: string; json?: boolean }): Promise<void> {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(options.asOf)) throw new UsageError('--as-of must be a date YYYY-MM-DD');
  const reports = await reconcileTrialBalances(service.db, service.controlSchema, service.options.store, options.asOf);
  if (options.json) process.stdout.write(json({ reports }));
  else {
    if (reports.length === 0) process.stdout.write('no read model built yet: nothing to reconcile\n');
    for (const report of reports) {
      process.stdout.write(
        `${report.readModel} at position ${report.position}, as of ${report.asOfPostingDate}: ${report.accountsCompared} accounts compared, ${report.differences.length} differences` +
          `${report.unparseablePositions.length === 0 ? '' : `, ${report.unparseablePositions.length} unparseable events (${report.unparseablePositions.join(', ')})`}\n`,
      );
      for (const difference of report.differences) {
        process.stdout.write(
          `  ${difference.companyId} ${difference.accountNumber}: read model debit ${difference.readModelDebitMinor} credit ${difference.readModelCreditMinor}, events debit ${difference.eventsDebitMinor} credit ${difference.eventsCreditMinor} (minor units)\n`,
        );
      }
    }
  }
  if (reports.some((report) => report.differences.length > 0)) process.exitCode = RECONCILE_DIFFERENT_EXIT_CODE;
}

async function replay(service: ProjectionService, name: string, options: { untilPosition?: string; until?: string; into: string }): Promise<void> {
  const projection = service.projection(name);
  if ((options.untilPosition === undefined) === (options.until === undefined)) throw new UsageError('give exactly one of --until-position and --until');
  if (options.untilPosition !== undefined && !/^[0-9]{1,19}$/.test(options.untilPosition)) throw new UsageError('--until-position must be a non-negative integer');
  const info = await replayProjection({
    db: service.db,
    controlSchema: service.controlSchema,
    store: service.options.store,
    projection,
    into: options.into,
    untilPosition: options.untilPosition === undefined ? undefined : BigInt(options.untilPosition),
    untilRecordedAt: options.until,
  });
  process.stdout.write(`replayed ${info.name} v${info.version} into ${info.schema}: ${info.events} events up to position ${info.position}\n`);
}
