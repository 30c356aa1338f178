import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedPostgresConnectionString, newTestEvent, PostgresEventStore, uniqueStreamId } from '@neuroerp/infra';
import { freePort } from './free-port';

// `neuroerp start` as a user runs it: the compiled CLI in its own process, no DATABASE_URL,
// so the embedded PostgreSQL comes up under DATA_DIR (npm test builds before jest runs).
const REPO_ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(REPO_ROOT, 'scripts', 'bin', 'neuroerp.js');
const READY_WAIT_MS_MAX = 90_000;
const EXIT_WAIT_MS_MAX = 60_000;
const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;

interface Run {
  child: ChildProcess;
  url: string;
  pgPort: number;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function cliEnvironment(overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'DATABASE_URL') env[key] = value;
  }
  return { ...env, LOG_LEVEL: 'info', ...overrides };
}

async function startCli(dataDir: string, user?: { uid: number; gid: number }): Promise<Run> {
  const [httpPort, pgPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd: REPO_ROOT,
    env: cliEnvironment({ DATA_DIR: dataDir, PORT: String(httpPort), EMBEDDED_PG_PORT: String(pgPort) }),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  child.stderr?.on('data', (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, url: `http://127.0.0.1:${httpPort}`, pgPort, output, exited };
}

/** Polls /ready until it answers 200; fails early, with the CLI's output, if the process exits. */
async function waitUntilReady(run: Run): Promise<number> {
  const startedAt = Date.now();
  let exitedEarly = false;
  void run.exited.then(() => (exitedEarly = true));
  while (Date.now() - startedAt < READY_WAIT_MS_MAX) {
    if (exitedEarly) throw new Error(`neuroerp start exited before it was ready:\n${run.output.join('\n')}`);
    const status = await fetch(`${run.url}/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return Date.now() - startedAt;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`/ready did not answer 200 within ${READY_WAIT_MS_MAX} ms:\n${run.output.join('\n')}`);
}

async function stopCli(run: Run, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  run.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`neuroerp did not exit within ${EXIT_WAIT_MS_MAX} ms:\n${run.output.join('\n')}`)), EXIT_WAIT_MS_MAX);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops the CLI and returns how it exited, with its last log lines when it did not exit 0 (so a failure explains itself). */
/** pino's level numbers: 40 warn, 50 error, 60 fatal. */
const ERROR_LEVEL = 50;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Sessions PostgreSQL had to terminate when it stopped: every pool should have closed its own before. */
  terminatedSessions: string[];
  errors: string[];
  logTail: string[];
}

/** The exit, and when it is not clean the lines that explain it: errors first (a CI log shows the start of a long diff), then the last lines. */
async function stopCleanly(run: Run): Promise<Exit> {
  const exit = await stopCli(run);
  const terminatedSessions = run.output.filter((line) => line.includes('terminating connection due to administrator command'));
  if (exit.code === 0) return { ...exit, terminatedSessions, errors: [], logTail: [] };
  const errors = run.output.filter((line) => {
    const level = parseLogLine(line)?.level;
    return level === undefined || (typeof level === 'number' && level >= ERROR_LEVEL);
  });
  return { ...exit, terminatedSessions, errors, logTail: run.output.slice(-8) };
}

const CLEAN_EXIT: Exit = { code: 0, signal: null, terminatedSessions: [], errors: [], logTail: [] };

function parseLogLine(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function logLines(run: Run): Record<string, unknown>[] {
  return run.output.flatMap((line) => {
    const parsed = parseLogLine(line);
    return parsed === null ? [] : [parsed];
  });
}

async function withStore<T>(dataDir: string, pgPort: number, use: (store: PostgresEventStore) => Promise<T>): Promise<T> {
  const connectionString = await embeddedPostgresConnectionString({ databaseDir: path.join(dataDir, 'pg'), port: pgPort });
  const store = await PostgresEventStore.connect({ connectionString, schema: 'event_store' });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** A temporary DATA_DIR that the server's OS user can reach (PostgreSQL runs as `postgres` when we are root). */
async function temporaryDataDir(owner?: { uid: number; gid: number }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'neuroerp-e2e-'));
  await chmod(dir, 0o755);
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

/** Ends a server a failed test may have left behind, by the PID in its own lock file. */
async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  try {
    process.kill(pid, 'SIGQUIT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

const dataDirs: string[] = [];
const runs: Run[] = [];

beforeAll(() => {
  if (!existsSync(path.join(REPO_ROOT, 'scripts', 'dist', 'cli.js'))) throw new Error('scripts/dist/cli.js is missing: run npm run build first');
});

afterAll(async () => {
  for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  for (const dir of dataDirs) {
    await stopLeftoverPostgres(dir);
    await rm(dir, { recursive: true, force: true });
  }
});

describe('neuroerp start with the embedded PostgreSQL', () => {
  let dataDir: string;
  const streamId = uniqueStreamId('e2e');
  const marker = newTestEvent({ note: 'kept across restarts' }, 'e2e.marker_written');

  beforeAll(async () => {
    dataDir = await temporaryDataDir();
    dataDirs.push(dataDir);
  });

  it('creates the cluster, becomes ready, and exits 0 on SIGTERM', async () => {
    const run = await startCli(dataDir);
    runs.push(run);
    const readyMs = await waitUntilReady(run);
    expect(readyMs).toBeLessThan(READY_WAIT_MS_MAX);
    expect(logLines(run)).toContainEqual(expect.objectContaining({ msg: 'embedded PostgreSQL started', createdCluster: true }));
    // The first start seeds the demo and is ready only once the process managers reacted to it (they book its invoices).
    expect(logLines(run)).toContainEqual(expect.objectContaining({ msg: 'the process managers caught up with the demo data' }));
    await withStore(dataDir, run.pgPort, (store) => store.appendToStream(streamId, [marker], { expectedVersion: 'no_stream' }));

    expect(await stopCleanly(run)).toEqual(CLEAN_EXIT);
    expect(logLines(run)).toContainEqual(expect.objectContaining({ msg: 'stopped', exitCode: 0 }));
    // PostgreSQL shut down cleanly: it removes its lock file last.
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 180_000);

  it('starts again on the same data directory and keeps the data', async () => {
    const run = await startCli(dataDir);
    runs.push(run);
    await waitUntilReady(run);
    expect(logLines(run)).toContainEqual(expect.objectContaining({ msg: 'embedded PostgreSQL started', createdCluster: false }));
    const events = await withStore(dataDir, run.pgPort, (store) => store.readStream(streamId, { maxCount: 10 }));
    expect(events.map((event) => [event.eventId, event.data])).toEqual([[marker.eventId, marker.data]]);
    expect(await stopCleanly(run)).toEqual(CLEAN_EXIT);
  }, 180_000);

  it('recovers from a killed run: shuts the orphaned PostgreSQL down and starts with the data intact', async () => {
    const killed = await startCli(dataDir);
    runs.push(killed);
    await waitUntilReady(killed);
    expect(await stopCli(killed, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // The killed process could not stop its server: PostgreSQL still holds the data directory.
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

    const run = await startCli(dataDir);
    runs.push(run);
    await waitUntilReady(run);
    expect(run.output.join('\n')).toMatch(/orphaned by a previous run/);
    const events = await withStore(dataDir, run.pgPort, (store) => store.readStream(streamId, { maxCount: 10 }));
    expect(events.map((event) => event.eventId)).toEqual([marker.eventId]);
    expect(await stopCleanly(run)).toEqual(CLEAN_EXIT);
  }, 180_000);
});

describe('neuroerp start as a normal user', () => {
  // As root, the cases above ran the server as the `postgres` OS user; this one runs the CLI as `nobody`.
  it(`starts and stops cleanly (${isRoot ? 'the CLI runs as nobody' : 'the CLI runs as the current user'})`, async () => {
    const user = isRoot ? NOBODY : undefined;
    const dataDir = await temporaryDataDir(user);
    dataDirs.push(dataDir);
    const run = await startCli(dataDir, user);
    runs.push(run);
    await waitUntilReady(run);
    expect((await fetch(`${run.url}/health`)).status).toBe(200);
    expect(await stopCleanly(run)).toEqual(CLEAN_EXIT);
  }, 180_000);
});

describe('neuroerp start with invalid configuration', () => {
  it('exits 2 with one line per problem and no stack trace', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], {
      cwd: REPO_ROOT,
      env: cliEnvironment({ PORT: 'eighty', LOG_LEVEL: 'loud' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toBe('neuroerp: invalid configuration:');
    expect(lines.slice(1).map((line) => line.trim().split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT']);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
