import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { embeddedPostgresConnectionString } from '@neuroerp/infra';
import { freePort } from './free-port';
import { send, type Answer } from './fault-test-client';

// Issue 8, fault tests: `neuroerp start` (embedded PostgreSQL in its own DATA_DIR) is SIGKILLed
// while 4 clients post transactions (draft + submit + post in one request, each with an
// Idempotency-Key). After every restart each acknowledged (2xx) command must be stored and
// posted, a re-send with its key must replay without appending, and `neuroerp verify` exits 0.

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(REPO_ROOT, 'scripts', 'bin', 'neuroerp.js');
const COMPANY_ID = 'valeo-demo-gmbh';
const KILLS = 3;
const CLIENTS = 4;
/** Acknowledged commands per run before the kill (small: the finance route group allows 200 requests/min per client IP). */
const ACKS_BEFORE_KILL = 24;
const READY_WAIT_MS_MAX = 90_000;
const ADMIN = { username: 'admin', password: 'demo-admin-2026!' };

interface Acknowledged {
  transactionId: string;
  key: string;
  body: string;
  clientAddress: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const clientAddress = (client: number) => `127.0.0.${20 + client}`;

describe('SIGKILL of the server during a command load', () => {
  let dataDir: string;
  let httpPort: number;
  let pgPort: number;
  let server: ChildProcess | null = null;
  let output: string[] = [];

  const env = (): NodeJS.ProcessEnv => {
    const copy: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(httpPort), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'warn' };
    delete copy.DATABASE_URL;
    delete copy.EVENT_STORE_SCHEMA;
    return copy;
  };

  async function startServer(): Promise<void> {
    output = [];
    const child = spawn(process.execPath, [BIN, 'start'], { cwd: REPO_ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    server = child;
    const deadline = Date.now() + READY_WAIT_MS_MAX;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`neuroerp start exited early:\n${output.join('')}`);
      const status = await send(httpPort, '127.0.0.1', 'GET', '/ready', {}).then(
        (answer) => answer.status,
        () => 0,
      );
      if (status === 200) return;
      await sleep(200);
    }
    throw new Error(`not ready within ${READY_WAIT_MS_MAX} ms:\n${output.join('')}`);
  }

  async function stopServer(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = server;
    if (child === null) throw new Error('no server');
    server = null;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.exitCode !== null || child.signalCode !== null
        ? resolve({ code: child.exitCode, signal: child.signalCode })
        : child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    child.kill(signal);
    return exited;
  }

  async function login(address: string): Promise<string> {
    const answer = await send(httpPort, address, 'POST', '/api/auth/login', {}, JSON.stringify(ADMIN));
    if (answer.status !== 200) throw new Error(`login answered ${answer.status}: ${answer.body}`);
    return (JSON.parse(answer.body) as { accessToken: string }).accessToken;
  }

  function transactionBody(transactionId: string, index: number): string {
    const today = new Date().toISOString().slice(0, 10);
    const amount = `${10 + (index % 90)}.${String(index % 100).padStart(2, '0')}`;
    return JSON.stringify({
      transactionId,
      companyId: COMPANY_ID,
      type: 'journal',
      documentDate: today,
      postingDate: today,
      description: `kill test ${transactionId}`,
      lines: [
        { accountNumber: '1200', side: 'debit', amount, currency: 'EUR' },
        { accountNumber: '8400', side: 'credit', amount, currency: 'EUR' },
      ],
      post: true,
    });
  }

  /** 4 clients post until the server dies under them; returns what was acknowledged and every status seen. */
  async function loadUntilKilled(run: number, token: string): Promise<{ acknowledged: Acknowledged[]; statuses: Map<number, number>; killedExit: { code: number | null; signal: NodeJS.Signals | null } }> {
    const acknowledged: Acknowledged[] = [];
    const statuses = new Map<number, number>();
    let killing: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
    const client = async (index: number) => {
      const address = clientAddress(index);
      for (let n = 0; killing === null && n < 1000; n++) {
        const transactionId = `kill-${run}-${index}-${n}-${randomUUID().slice(0, 8)}`;
        const key = randomUUID();
        const body = transactionBody(transactionId, n);
        let answer: Answer;
        try {
          answer = await send(httpPort, address, 'POST', '/api/finance/transactions', { authorization: `Bearer ${token}`, 'idempotency-key': key }, body);
        } catch {
          return; // The connection died with the server: not acknowledged.
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status >= 200 && answer.status < 300) {
          acknowledged.push({ transactionId, key, body, clientAddress: address });
          // Kill without warning once enough were acknowledged, while the other clients' requests are in flight.
          if (acknowledged.length >= ACKS_BEFORE_KILL && killing === null) killing = stopServer('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_unused, index) => client(index)));
    if (killing === null) throw new Error(`the load ended without a kill; statuses ${JSON.stringify([...statuses])}\n${output.join('')}`);
    return { acknowledged, statuses, killedExit: await killing };
  }

  async function postedCount(token: string): Promise<number> {
    const year = new Date().getUTCFullYear();
    const answer = await send(httpPort, '127.0.0.1', 'GET', `/api/finance/fiscal-years/${year}?companyId=${COMPANY_ID}`, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    return (JSON.parse(answer.body) as { postedCount: number }).postedCount;
  }

  /** Every `ledger.transaction_posted` event in the store, oldest first: explains a posted count that moved. */
  async function postingEvents(): Promise<string[]> {
    const client = new pg.Client({ connectionString: await embeddedPostgresConnectionString({ databaseDir: path.join(dataDir, 'pg'), port: pgPort }) });
    await client.connect();
    try {
      const { rows } = await client.query<{ line: string }>(
        `select concat_ws(' ', global_position, recorded_at, stream_id, data->>'transactionId', metadata::text) as line
           from event_store.events where type = 'ledger.transaction_posted' order by global_position`,
      );
      return rows.map((row) => row.line);
    } finally {
      await client.end();
    }
  }

  /** Every acknowledged command is stored and posted; a re-send with its key replays and appends nothing. */
  async function checkAcknowledged(acknowledged: readonly Acknowledged[], token: string): Promise<void> {
    const before = await postedCount(token);
    const postingsBefore = await postingEvents();
    process.stdout.write(`checking ${acknowledged.length} acknowledged commands; the fiscal year counts ${before} postings, the store holds ${postingsBefore.length}\n`);
    const problems: string[] = [];
    for (const ack of acknowledged) {
      const auth = { authorization: `Bearer ${token}` };
      const got = await send(httpPort, ack.clientAddress, 'GET', `/api/finance/transactions/${ack.transactionId}`, auth);
      if (got.status !== 200) {
        problems.push(`${ack.transactionId}: GET ${got.status} ${got.body.slice(0, 200)}`);
        continue;
      }
      const stored = JSON.parse(got.body) as { status: string };
      if (stored.status !== 'posted') problems.push(`${ack.transactionId}: status ${stored.status}, acknowledged as posted`);
      const resent = await send(httpPort, ack.clientAddress, 'POST', '/api/finance/transactions', { ...auth, 'idempotency-key': ack.key }, ack.body);
      if (resent.status < 200 || resent.status >= 300 || resent.headers['idempotent-replayed'] !== 'true') {
        problems.push(`${ack.transactionId}: re-send answered ${resent.status} replayed=${String(resent.headers['idempotent-replayed'])}`);
      }
      const again = await send(httpPort, ack.clientAddress, 'GET', `/api/finance/transactions/${ack.transactionId}`, auth);
      if (again.headers.etag !== got.headers.etag) problems.push(`${ack.transactionId}: ETag moved from ${got.headers.etag} to ${again.headers.etag} after the re-send`);
    }
    expect(problems).toEqual([]);
    // The re-sends posted nothing twice; should a posting appear, the failure names it.
    const after = await postedCount(token);
    if (after !== before) {
      const known = new Set(postingsBefore);
      const appeared = (await postingEvents()).filter((line) => !known.has(line));
      process.stdout.write(`posted count moved from ${before} to ${after} during the check; postings stored then:\n${appeared.join('\n')}\nserver log:\n${output.join('').split('\n').slice(-30).join('\n')}\n`);
    }
    expect(after).toBe(before);
  }

  async function verifyChain(): Promise<{ code: number; stdout: string }> {
    try {
      const { stdout } = await execFileAsync(process.execPath, [BIN, 'verify'], { cwd: REPO_ROOT, env: env() });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  }

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'scripts', 'dist', 'cli.js'))) throw new Error('scripts/dist/cli.js is missing: run npm run build first');
    dataDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-cmdkill-'));
    await chmod(dataDir, 0o755);
    [httpPort, pgPort] = [await freePort(), await freePort()];
  });

  afterAll(async () => {
    if (server !== null) await stopServer('SIGKILL');
    // A killed server leaves its PostgreSQL behind: stop it by the PID in its own lock file.
    const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
      await sleep(1000);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged command across ${KILLS} kills, replays re-sends and verifies`, async () => {
    const acknowledged: Acknowledged[] = [];
    for (let run = 1; run <= KILLS; run++) {
      await startServer();
      const token = await login('127.0.0.1');
      // What earlier runs acknowledged survived their kill.
      await checkAcknowledged(acknowledged, token);
      const load = await loadUntilKilled(run, token);
      expect(load.killedExit).toEqual({ code: null, signal: 'SIGKILL' });
      // Before the kill every answer was a success (no 429, no 5xx).
      expect([...load.statuses.keys()].filter((status) => status < 200 || status >= 300)).toEqual([]);
      process.stdout.write(`run ${run}: ${load.acknowledged.length} acknowledged before SIGKILL, statuses ${JSON.stringify([...load.statuses])}\n`);
      acknowledged.push(...load.acknowledged);
    }
    await startServer();
    const token = await login('127.0.0.1');
    await checkAcknowledged(acknowledged, token);
    const verified = await verifyChain();
    expect(verified.stdout).toMatch(/^OK: /);
    expect(verified.code).toBe(0);
    expect(await stopServer('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILLS * ACKS_BEFORE_KILL);
  }, 240_000);
});
