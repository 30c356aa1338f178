import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { createBackup, listBackups, PostgresEventStore, restoreBackups, startS3TestServer, verifyEventLog } from '@neuroerp/infra';
import { createTableSet, allProjections, migrateProjectionControl, ProjectionRunner, tableChecksum } from '@neuroerp/projections';
import { describeFailure } from './cli-errors';
import { openBackupTarget } from './commands/backup';
import { ConfigError, parseServerConfig } from './config';
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

describe('backups in an S3 bucket, chosen by configuration', () => {
  it('BACKUP_S3_BUCKET sends backup and restore to the bucket; a missing bucket is one line with a code', async () => {
    const server = await startS3TestServer('neuroerp-backups');
    try {
      const { endpoint, accessKeyId, secretAccessKey } = server.connection;
      const env = { S3_ENDPOINT: endpoint, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey, S3_FORCE_PATH_STYLE: 'true', BACKUP_S3_BUCKET: 'neuroerp-backups', BACKUP_S3_PREFIX: 'prod/backups' };
      const target = openBackupTarget(parseServerConfig(env), undefined);
      expect(target.description).toBe('s3://neuroerp-backups/prod/backups/');
      const original = await PostgresEventStore.connect({ connectionString, schema: `${prefix}_s3a` });
      stores.push(original);
      await seedDemoData(original, { today: new Date('2025-09-15T12:00:00Z') });
      const key = randomBytes(32);
      const full = await createBackup({ source: original, root: target, kind: 'full', key, now: new Date('2025-09-15T13:00:00Z') });
      expect((await listBackups(key, target)).map((manifest) => manifest.backupId)).toEqual([full.backupId]);
      const restored = await PostgresEventStore.connect({ connectionString, schema: `${prefix}_s3b` });
      stores.push(restored);
      expect((await restoreBackups({ root: target, key, target: restored })).eventCount).toBe(full.eventCount);
      expect(await restored.readHead()).toEqual(await original.readHead());
      await target.close();

      // An explicit folder on the command line still wins over the bucket.
      expect(openBackupTarget(parseServerConfig(env), root).description).toBe(root);

      const missing = openBackupTarget(parseServerConfig({ ...env, BACKUP_S3_BUCKET: 'no-such-bucket' }), undefined);
      const failure = await listBackups(key, missing).catch((error: unknown) => error);
      await missing.close();
      expect(failure).toMatchObject({ code: 'BACKUP_TARGET_NOT_FOUND' });
      const line = describeFailure(failure);
      expect(line).toMatch(/^s3:\/\/no-such-bucket\/prod\/backups\/ at http:\/\/127\.0\.0\.1:[0-9]+: the bucket no-such-bucket does not exist .*\(BACKUP_TARGET_NOT_FOUND\)$/);
      expect(line).not.toContain('\n');
    } finally {
      await server.stop();
    }
  });

  it.each([
    [{ BACKUP_S3_BUCKET: 'neuroerp-backups', BACKUP_DIR: '/backups' }, 'BACKUP_S3_BUCKET: set either BACKUP_DIR (a folder) or BACKUP_S3_BUCKET (a bucket), not both'],
    [{ BACKUP_S3_BUCKET: 'Not_A_Bucket' }, 'BACKUP_S3_BUCKET: must be an S3 bucket name (3..63 lower-case letters, digits, dots, hyphens)'],
    [{ BACKUP_S3_BUCKET: 'neuroerp-backups', S3_ACCESS_KEY_ID: 'key' }, 'S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together'],
  ])('refuses the configuration %j', (env, problem) => {
    expect(() => parseServerConfig(env)).toThrow(ConfigError);
    expect(() => parseServerConfig(env)).toThrow(problem);
  });
});
