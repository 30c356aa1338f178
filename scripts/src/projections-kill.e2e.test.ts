import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dropSchemasWithPrefix, PostgresEventStore } from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'bin', 'neuroerp.js');
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_projkill_${randomBytes(4).toString('hex')}`;
const POSTINGS = 20_000;
const KILLS = 3;

interface ProjectionStatus {
  name: string;
  state: string;
  lagEvents: string | null;
  position: string | null;
}

function posting(voucherNumber: number): NewEvent {
  const amountMinor = String(100 + (voucherNumber % 97));
  const line = (accountNumber: string, side: 'debit' | 'credit') => ({
    accountNumber, side, amountMinor, currency: 'EUR', fxRate: null, dimensions: {}, text: null, companyAmountMinor: amountMinor, kind: 'entry',
  });
  const day = String(1 + (voucherNumber % 28)).padStart(2, '0');
  return {
    eventId: randomUUID(),
    type: 'ledger.transaction_posted',
    schemaVersion: 1,
    data: {
      companyId: 'kill', fiscalYear: 2026, period: 3, voucherNumber, transactionId: `tx-${voucherNumber}`, type: 'journal',
      documentDate: `2026-03-${day}`, postingDate: `2026-03-${day}`, companyCurrency: 'EUR', description: null, linkedDocumentIds: [],
      lines: [line(String(1000 + (voucherNumber % 50)), 'debit'), line('8400', 'credit')], postedBy: 'tester',
      postedAt: '2026-03-05T10:00:00.000Z', approvedBy: null, reversesTransactionId: null, reason: null, postedUnderException: false,
    },
    metadata: { actor: { userId: 'tester', role: 'accountant' }, correlationId: randomUUID(), causationId: null, occurredAt: '2026-03-05T10:00:00.000Z', requestId: null },
  };
}

describe('projections survive SIGKILL of the server mid-batch', () => {
  let dataDir: string;
  const env = () => ({ ...process.env, DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: dataDir, DEMO_USERS: 'false' });

  async function status(): Promise<ProjectionStatus[]> {
    const { stdout } = await run(process.execPath, [CLI, 'projections', 'status', '--json'], { env: env() });
    return (JSON.parse(stdout) as { projections: ProjectionStatus[] }).projections;
  }

  function startServer(): ChildProcess {
    return spawn(process.execPath, [CLI, 'start'], { env: env(), stdio: 'ignore' });
  }

  const exited = (child: ChildProcess) =>
    new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'neuroerp-kill-'));
    const store = await PostgresEventStore.connect({ connectionString, schema });
    for (let start = 1; start <= POSTINGS; start += 500) {
      await store.appendToStream('ledger.fiscal_year-kill-2026', Array.from({ length: 500 }, (_unused, i) => posting(start + i)), {
        expectedVersion: 'any',
      });
    }
    await store.close();
  });
  afterAll(async () => {
    await dropSchemasWithPrefix(schema, connectionString);
    await rm(dataDir, { recursive: true, force: true });
  });

  it(`is killed ${KILLS} times while catching up, then its read models equal a fresh rebuild`, async () => {
    let progressed = 0;
    const applied = (states: ProjectionStatus[]) => states.reduce((sum, s) => sum + Number(s.position ?? 0), 0);
    let appliedBefore = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const server = startServer();
      // Wait until this run has applied something itself, then kill it without warning, mid-batch.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && applied(await status()) <= appliedBefore) await sleep(50);
      await sleep(100);
      server.kill('SIGKILL');
      await exited(server);
      const states = await status();
      appliedBefore = applied(states);
      process.stdout.write(`after kill ${kill + 1}: ${states.map((s) => `${s.name}=${s.position ?? 'none'}/${s.state}`).join(' ')}\n`);
      // Killed mid-way: some projection had applied part of the log, but not all of it.
      if (states.some((s) => s.position !== null && Number(s.position) > 0 && Number(s.position) < POSTINGS)) progressed += 1;
    }
    // At least one kill must really have landed in the middle of the catch-up.
    expect(progressed).toBeGreaterThan(0);

    const server = startServer();
    const deadline = Date.now() + 90_000;
    let states = await status();
    while (!states.every((s) => s.state === 'live' && s.lagEvents === '0') && Date.now() < deadline) {
      await sleep(500);
      states = await status();
    }
    server.kill('SIGTERM');
    await exited(server);
    expect(states.map((s) => [s.name, s.state, s.lagEvents])).toEqual(states.map((s) => [s.name, 'live', '0']));

    for (const { name } of states) {
      const { stdout } = await run(process.execPath, [CLI, 'projections', 'rebuild', name, '--json'], { env: env() });
      const result = JSON.parse(stdout) as { switched: boolean; verification: { outcome: string } };
      expect([name, result.verification.outcome, result.switched]).toEqual([name, 'equal', true]);
    }
  }, 240_000);
});
