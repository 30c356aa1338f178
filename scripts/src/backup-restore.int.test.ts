import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { createBackup, PostgresEventStore, restoreBackups, verifyEventLog } from '@neuroerp/infra';
import { createTableSet, allProjections, migrateProjectionControl, ProjectionRunner, tableChecksum } from '@neuroerp/projections';
import { seedDemoData } from './demo-data';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `test_restore_${randomBytes(4).toString('hex')}`;
let db: Knex;
let root: string;
const stores: PostgresEventStore[] = [];

beforeAll(async () => {
  db = knex({ client: 'pg', connection: connectionString, pool: { min: 0, max: 5 } });
  root = await mkdtemp(path.join(tmpdir(), 'neuroerp-restore-'));
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  const result = await db.raw(`select nspname from pg_namespace where nspname like ?`, [`${prefix}%`]);
  for (const row of result.rows as { nspname: string }[]) await db.raw(`drop schema if exists "${row.nspname}" cascade`);
  await db.destroy();
  await rm(root, { recursive: true, force: true });
});

/** Builds every ledger read model from the store's log and returns each table's row count and checksum. */
async function readModelChecksums(store: PostgresEventStore, controlSchema: string): Promise<Record<string, { rows: number; checksum: string }>> {
  await migrateProjectionControl(connectionString, controlSchema);
  const head = (await store.readHead()).position;
  const checksums: Record<string, { rows: number; checksum: string }> = {};
  for (const projection of allProjections) {
    const tableSet = await createTableSet(db, controlSchema, projection, true);
    await new ProjectionRunner({ db, controlSchema, store, projection }).catchUp(tableSet, { mode: 'rebuild', untilPosition: head });
    for (const table of projection.tables) checksums[`${projection.name}.${table.name}`] = await tableChecksum(db, tableSet.schema, table.name);
  }
  return checksums;
}

it('a restored log rebuilds read models identical to the original ones', async () => {
  const original = await PostgresEventStore.connect({ connectionString, schema: `${prefix}_a` });
  stores.push(original);
  const seeded = await seedDemoData(original, { today: new Date('2025-09-15T12:00:00Z') });
  expect(seeded.eventsAppended).toBeGreaterThan(100);
  const key = randomBytes(32);
  await createBackup({ source: original, root, kind: 'full', key, now: new Date('2025-09-15T13:00:00Z') });

  const restored = await PostgresEventStore.connect({ connectionString, schema: `${prefix}_b` });
  stores.push(restored);
  const result = await restoreBackups({ root, key, target: restored });
  expect(result.eventCount).toBe(seeded.eventsAppended);
  expect((await verifyEventLog(restored, { head: await restored.readHead() })).firstBreak).toBeNull();

  const before = await readModelChecksums(original, `${prefix}_a_p`);
  const after = await readModelChecksums(restored, `${prefix}_b_p`);
  expect(Object.keys(before).length).toBeGreaterThanOrEqual(allProjections.length);
  // The seed writes ledger, documents and workflows (users come from the identity module, not the seed).
  for (const table of ['general_ledger.ledger_lines', 'account_balances.account_balances_daily', 'audit_log.audit_events', 'transactions.transactions', 'documents.documents']) {
    expect(before[table]?.rows).toBeGreaterThan(0);
  }
  expect(after).toEqual(before);
});
