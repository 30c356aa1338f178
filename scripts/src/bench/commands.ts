import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createAuthenticate, createLedgerCommandHandler, LedgerCommands, loadSigningKey, TokenService, type CommandContext } from '@neuroerp/command-api';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import { PostgresEventStore, PostgresIdempotencyStore, startEmbeddedPostgres, type EmbeddedPostgresServer } from '@neuroerp/infra';
import { closeServer, createServerApp, listen } from '../server';
import { eventMetadata, ledgerTransactionPosted } from './eventstore-sides';
import { runHttpLoad } from './http-load';
import { percentile, runOperations, startProgress } from './measure';
import type { BenchSuite, SuiteOptions, SuiteOutcome, TargetCheck } from './suite';
import { formatCount, formatMs, formatTable } from './table';
import { freePort } from '../free-port';

/**
 * `npm run bench -- commands [--quick]`: the ledger command API end to end. Authenticated
 * HTTP POSTs (a real RS256 bearer token, verified on every request) of balanced two-line
 * transactions that are drafted, submitted and posted in one request (`post: true`: one append
 * to the transaction stream, one to the fiscal-year stream), below the approval threshold, with
 * an Idempotency-Key each, at concurrency 32 — against the same PostgreSQL on which the raw
 * event-store append rate (PostgresEventStore, 1 event per append, 16 concurrent) is measured
 * in the same run as the yardstick.
 *
 * The database: an embedded PostgreSQL in a temporary directory on a free port, or a scratch
 * database on DATABASE_URL when that is set. The client runs on a worker thread of this
 * process (http-load.ts), so that its work does not queue on the server's event loop; it still
 * shares the machine's cores with the server and PostgreSQL, so the figures are a lower bound
 * for a client on another machine.
 */

const HTTP_CONCURRENCY = 32;
const APPEND_CONCURRENCY = 16;
const QUICK_DIVISOR = 10;
const PLAN = { httpTransactions: 5000, httpWarmup: 500, appends: 20_000, appendWarmup: 2000 } as const;
/** Targets: HTTP throughput at least this share of the raw append rate; p99 at most this. */
const THROUGHPUT_SHARE_MIN = 0.4;
const P99_MS_MAX = 50;
const COMPANY_ID = 'bench-gmbh';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Database {
  connectionString: string;
  description: string;
  close(): Promise<void>;
}

async function openDatabase(options: SuiteOptions): Promise<Database> {
  if (options.databaseUrlFromEnvironment) {
    const admin = new pg.Client({ connectionString: options.databaseUrl });
    await admin.connect();
    const name = `neuroerp_bench_commands_${process.pid}`;
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
    const url = new URL(options.databaseUrl);
    url.pathname = `/${name}`;
    return {
      connectionString: url.toString(),
      description: `scratch database ${name} on DATABASE_URL`,
      close: async () => {
        await admin.query(`drop database if exists "${name}" with (force)`);
        await admin.end();
      },
    };
  }
  const directory = await mkdtemp(path.join(tmpdir(), 'neuroerp-bench-'));
  // mkdtemp makes the directory private; when we run as root, PostgreSQL runs as another OS user and must enter it.
  await chmod(directory, 0o755);
  let embedded: EmbeddedPostgresServer;
  try {
    embedded = await startEmbeddedPostgres({ databaseDir: path.join(directory, 'pg'), port: await freePort() });
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    connectionString: embedded.connectionString,
    description: `embedded PostgreSQL in ${directory} on port ${embedded.port}`,
    close: async () => {
      await embedded.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function serverDescription(connectionString: string): Promise<string> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; fsync: string; synchronous_commit: string }>(
      `select split_part(version(), ' ', 2) as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit`,
    );
    const row = rows[0];
    return row ? `PostgreSQL ${row.version}, fsync=${row.fsync}, synchronous_commit=${row.synchronous_commit}` : 'PostgreSQL';
  } finally {
    await client.end();
  }
}

/** The raw yardstick: 1-event appends to new streams, 16 writers. Events per second. */
async function measureRawAppends(connectionString: string, quick: boolean): Promise<number> {
  const store = await PostgresEventStore.connect({ connectionString, schema: 'bench_raw_appends' });
  try {
    const append = async (index: number) => {
      await store.appendToStream(
        `ledger.transaction-${randomUUID()}`,
        [{ eventId: randomUUID(), type: 'ledger.transaction_posted', schemaVersion: 1, data: ledgerTransactionPosted(index), metadata: eventMetadata() }],
        { expectedVersion: 'no_stream' },
      );
    };
    const warmup = quick ? PLAN.appendWarmup / QUICK_DIVISOR : PLAN.appendWarmup;
    const count = quick ? PLAN.appends / QUICK_DIVISOR : PLAN.appends;
    await runOperations(warmup, APPEND_CONCURRENCY, append);
    const progress = startProgress('append_c16', count);
    const elapsedMs = await runOperations(count, APPEND_CONCURRENCY, (index) => append(warmup + index), progress);
    progress.stop();
    const rate = (count / elapsedMs) * 1000;
    log(`append_c16: ${formatCount(rate)} events/s (${formatCount(count)} appends in ${(elapsedMs / 1000).toFixed(2)} s)`);
    return rate;
  } finally {
    await store.close();
  }
}

interface HttpFigures {
  transactionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  count: number;
}

async function measureHttp(connectionString: string, quick: boolean, keysDir: string): Promise<HttpFigures> {
  const schema = 'bench_ledger';
  const eventStore = await PostgresEventStore.connect({ connectionString, schema });
  const idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString, schema });
  const commands = new LedgerCommands(createLedgerCommandHandler(eventStore));
  const year = new Date().getUTCFullYear();
  const setup: CommandContext = { actor: { userId: 'bench-admin', role: 'admin' }, correlationId: 'bench', requestId: null };
  await commands.importChart(setup, { companyId: COMPANY_ID, accounts: [...SKR03_DEMO_CHART] });
  await commands.openFiscalYear(setup, {
    companyId: COMPANY_ID,
    year,
    companyCurrency: 'EUR',
    approvalThreshold: '10000.00',
    roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
    retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
    openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
  });

  // A real RS256 token, verified on every request; the identity module's rate limits are left out.
  const signing = await loadSigningKey({ keysDir });
  const tokens = new TokenService({ key: signing.key, issuer: 'neuroerp-bench', accessTokenTtlSeconds: 3600 });
  const { token } = await tokens.issueAccessToken({ userId: randomUUID(), role: 'accountant', sessionId: 'bench' });
  const app = createServerApp({
    eventStore,
    logger: pino({ level: 'silent' }),
    version: 'bench',
    authenticate: createAuthenticate(tokens),
    ledger: { commands, idempotencyStore },
  });
  const server = await listen(app, 0);
  const port = (server.address() as { port: number }).port;
  const postingDate = `${year}-01-15`;
  const runId = randomUUID().slice(0, 8);
  try {
    const warmup = quick ? PLAN.httpWarmup / QUICK_DIVISOR : PLAN.httpWarmup;
    const count = quick ? PLAN.httpTransactions / QUICK_DIVISOR : PLAN.httpTransactions;
    // The client runs on a worker thread (http-load.ts): this thread's event loop serves only the requests.
    const load = await runHttpLoad({ port, token, runId, companyId: COMPANY_ID, postingDate, concurrency: HTTP_CONCURRENCY, warmup, count });
    const { elapsedMs, latencies } = load;
    // Every acknowledged posting is in the fiscal year, with gapless vouchers.
    const year_ = await commands.getFiscalYear(COMPANY_ID, year);
    if (year_?.resource.postedCount !== warmup + count || year_.resource.lastVoucherNumber !== warmup + count) {
      throw new Error(`fiscal year holds ${year_?.resource.postedCount} postings (last voucher ${year_?.resource.lastVoucherNumber}), expected ${warmup + count}`);
    }
    const figures = { transactionsPerSecond: (count / elapsedMs) * 1000, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), count };
    log(
      `post_c32: ${formatCount(figures.transactionsPerSecond)} transactions/s (${formatCount(count)} in ${(elapsedMs / 1000).toFixed(2)} s), ` +
        `p50 ${formatMs(figures.p50Ms)} ms, p99 ${formatMs(figures.p99Ms)} ms; postings verified: ${warmup + count}, vouchers 1..${warmup + count}`,
    );
    return figures;
  } finally {
    await closeServer(server, 1000);
    await idempotencyStore.close();
    await eventStore.close();
  }
}

async function run(options: SuiteOptions): Promise<SuiteOutcome> {
  const database = await openDatabase(options);
  const keysDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-bench-keys-'));
  try {
    log(`commands benchmark (${options.quick ? 'quick' : 'full'} run) on ${await serverDescription(database.connectionString)}, ${database.description}`);
    log(`authentication: RS256 bearer token verified per request (createAuthenticate); rate limits not mounted`);
    const appendRate = await measureRawAppends(database.connectionString, options.quick);
    const http = await measureHttp(database.connectionString, options.quick, keysDir);
    const share = http.transactionsPerSecond / appendRate;
    const targets: TargetCheck[] = [
      {
        caseName: 'post_c32',
        statement: `HTTP tx/s >= ${THROUGHPUT_SHARE_MIN * 100}% of raw append_c16 events/s: ratio ${share.toFixed(2)}, target >= ${THROUGHPUT_SHARE_MIN.toFixed(2)}`,
        ratio: share,
        passed: share >= THROUGHPUT_SHARE_MIN,
      },
      {
        caseName: 'post_c32',
        statement: `p99 <= ${P99_MS_MAX} ms: ${formatMs(http.p99Ms)} ms`,
        ratio: http.p99Ms / P99_MS_MAX,
        passed: http.p99Ms <= P99_MS_MAX,
      },
    ];
    const report = formatTable(
      ['case', 'figure', 'value'],
      [
        ['post_c32', 'transactions/s (draft+submit+post, 1 HTTP POST each)', formatCount(http.transactionsPerSecond)],
        ['post_c32', 'p50 ms', formatMs(http.p50Ms)],
        ['post_c32', 'p99 ms', formatMs(http.p99Ms)],
        ['append_c16', 'raw events/s (PostgresEventStore)', formatCount(appendRate)],
        ['post_c32 / append_c16', 'share', share.toFixed(2)],
      ],
    );
    return {
      report,
      targets,
      resultLines: [
        `RESULT suite=commands case=post_c32 tx_per_s=${Math.round(http.transactionsPerSecond)} p50_ms=${http.p50Ms.toFixed(2)} p99_ms=${http.p99Ms.toFixed(2)} append_c16_events_per_s=${Math.round(appendRate)}`,
      ],
    };
  } finally {
    await rm(keysDir, { recursive: true, force: true });
    await database.close();
  }
}

export const commandsSuite: BenchSuite = {
  description: 'ledger command API: authenticated HTTP draft+post of two-line transactions at c32 vs the raw append rate',
  run,
};
