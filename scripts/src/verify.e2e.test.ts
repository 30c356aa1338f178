import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { newTestEvent, PostgresEventStore, uniqueStreamId } from '@neuroerp/infra';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'bin', 'neuroerp.js');
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function verify(schema: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env, DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, LOG_LEVEL: 'silent' };
  try {
    const { stdout } = await run(process.execPath, [CLI, 'verify', ...args], { env });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('npx neuroerp verify', () => {
  const schema = `test_verify_${process.pid}`;
  const admin = new pg.Client({ connectionString });

  beforeAll(async () => {
    await admin.connect();
    const store = await PostgresEventStore.connect({ connectionString, schema });
    for (let i = 0; i < 12; i++) await store.appendToStream(uniqueStreamId(), [newTestEvent({ i })], { expectedVersion: 'no_stream' });
    await store.close();
  });
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it('reports an intact chain with exit code 0', async () => {
    const result = await verify(schema);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK: 12 events, chain head [0-9a-f]{64} at position 12/);
  });

  it('names the first broken position of an edited event with exit code 3', async () => {
    await admin.query(`alter table "${schema}".events disable trigger events_append_only`);
    await admin.query(`update "${schema}".events set data = '{"i": 999}' where global_position = 5`);
    await admin.query(`alter table "${schema}".events enable trigger events_append_only`);
    const result = await verify(schema);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('BROKEN at position 5');
    const json = JSON.parse((await verify(schema, '--json')).stdout) as { ok: boolean; firstBreak: { kind: string; position: string } };
    expect(json.ok).toBe(false);
    expect(json.firstBreak).toMatchObject({ kind: 'hash_mismatch', position: '5' });
  });

  it('explains bad configuration with exit code 2', async () => {
    const result = await verify('Not A Schema');
    expect(result.code).toBe(2);
  });
});
