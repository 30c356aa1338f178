import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { dropSchemasWithPrefix, PostgresEventStore } from '@neuroerp/infra';
import type { NewEvent } from '@neuroerp/schemas';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'bin', 'neuroerp.js');
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_projcli_${randomBytes(4).toString('hex')}`;
const POSTINGS = 2_000;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'projections', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function posting(voucherNumber: number): NewEvent {
  const amountMinor = String(100 + (voucherNumber % 97));
  const line = (accountNumber: string, side: 'debit' | 'credit') => ({ accountNumber, side, amountMinor, currency: 'EUR', fxRate: null, dimensions: {}, text: null, companyAmountMinor: amountMinor, kind: 'entry' });
  const day = String(1 + (voucherNumber % 28)).padStart(2, '0');
  return {
    eventId: randomUUID(),
    type: 'ledger.transaction_posted',
    schemaVersion: 1,
    data: {
      companyId: 'cli', fiscalYear: 2026, period: 2, voucherNumber, transactionId: `tx-${voucherNumber}`, type: 'journal', documentDate: `2026-02-${day}`, postingDate: `2026-02-${day}`,
      companyCurrency: 'EUR', description: null, linkedDocumentIds: [], lines: [line(String(1000 + (voucherNumber % 50)), 'debit'), line('8400', 'credit')], postedBy: 'tester',
      postedAt: '2026-02-05T10:00:00.000Z', approvedBy: null, reversesTransactionId: null, reason: null, postedUnderException: false,
    },
    metadata: { actor: { userId: 'tester', role: 'accountant' }, correlationId: randomUUID(), causationId: null, occurredAt: '2026-02-05T10:00:00.000Z', requestId: null },
  };
}

describe('npx neuroerp projections', () => {
  beforeAll(async () => {
    const store = await PostgresEventStore.connect({ connectionString, schema });
    for (let start = 1; start <= POSTINGS; start += 500) {
      const events = Array.from({ length: 500 }, (_unused, index) => posting(start + index));
      await store.appendToStream('ledger.fiscal_year-cli-2026', events, { expectedVersion: 'any' });
    }
    await store.close();
  });
  afterAll(async () => {
    await dropSchemasWithPrefix(schema, connectionString);
  });

  it('status before any build says not_built; rebuild builds, a second rebuild verifies equal and switches; status shows the new build', async () => {
    const before = JSON.parse((await cli('status', '--json')).stdout) as { projections: { name: string; state: string }[] };
    expect(before.projections.map((item) => [item.name, item.state])).toEqual(
      ['account_balances', 'general_ledger', 'audit_log', 'chart_of_accounts', 'transactions', 'documents', 'users', 'search', 'workflows'].map((name) => [name, 'not_built']),
    );

    const first = await cli('rebuild', 'general_ledger', '--json');
    expect(first.code).toBe(0);
    const firstResult = JSON.parse(first.stdout) as { position: string; switched: boolean; verification: { outcome: string }; seconds: number };
    expect(firstResult).toMatchObject({ position: String(POSTINGS), switched: true, verification: { outcome: 'skipped' } });

    const second = await cli('rebuild', 'general_ledger');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`ledger_lines: live ${2 * POSTINGS} rows, rebuilt ${2 * POSTINGS} rows, checksums equal`);
    expect(second.stdout).toMatch(/switched: queries now read test_projcli_[0-9a-f]+_rm_general_ledger_v1_b2/);
    process.stdout.write(`general_ledger rebuild: ${second.stdout.split('\n')[0]}\n`);

    const after = JSON.parse((await cli('status', '--json')).stdout) as { projections: { name: string; state: string; position: string | null; lagEvents: string | null; active: { build: number } | null }[] };
    expect(after.projections.find((item) => item.name === 'general_ledger')).toMatchObject({ state: 'live', position: String(POSTINGS), lagEvents: '0', active: { build: 2 } });
  });

  it('reconcile reports no difference for the rebuilt general ledger', async () => {
    const result = await cli('reconcile', '--as-of', '2026-12-31');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`general_ledger at position ${POSTINGS}, as of 2026-12-31: 51 accounts compared, 0 differences`);
  });

  it('replays the audit log as of a position into a named schema, lists and drops it', async () => {
    const into = `${schema}_replay`;
    const replayed = await cli('replay', 'audit_log', '--until-position', '700', '--into', into);
    expect(replayed.stdout).toBe(`replayed audit_log v1 into ${into}: 700 events up to position 700\n`);
    expect((await cli('replays')).stdout).toContain(`${into}: audit_log v1 up to position 700, 700 events`);
    expect((await cli('drop-replay', into)).stdout).toBe(`dropped ${into}\n`);
    expect((await cli('drop-replay', into)).code).toBe(1);
  });

  it('lists no dead letters, refuses an unknown projection and a bad dead-letter id', async () => {
    expect(JSON.parse((await cli('dead-letters', 'list', '--json')).stdout)).toEqual({ deadLetters: [] });
    const unknown = await cli('rebuild', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown projection nope');
    expect((await cli('dead-letters', 'retry', '12345')).stdout).toContain('dead letter 12345: not_found');
  });
});
