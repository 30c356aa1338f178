import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { RecordedEvent } from '@neuroerp/schemas';
import { PostgresEventStore } from '../event-store/postgres/postgres-event-store';
import { testDatabaseUrl, uniqueSchema } from '../event-store/postgres/test-database';
import { newTestEvent, uniqueStreamId } from '../event-store/test-support';
import { verifyEventLog } from '../event-store/verify-log';
import { createBackup, pruneBackups, restoreBackups } from './backup';
import { BackupError, type BackupErrorCode } from './errors';
import { listBackups } from './manifest';
import { MANIFEST_FILE, type BackupTarget } from './target';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a contract run needs: a fresh, empty target, raw access behind its back, and how to dispose of it. */
export interface BackupTargetUnderTest {
  target: BackupTarget;
  /** Every object the adapter stored, published or not, as `<folder>/<name>` relative to the target (e.g. `<id>.partial/chunk-000001.bin`). */
  listRaw(): Promise<string[]>;
  /** Object `<id>/<name>` of a published backup, read or replaced bypassing the target (to tamper with it). */
  readRaw(key: string): Promise<Buffer>;
  writeRaw(key: string, bytes: Buffer): Promise<void>;
  deleteRaw(key: string): Promise<void>;
  dispose(): Promise<void>;
}

export async function expectBackupError(promise: Promise<unknown>, code: BackupErrorCode): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(BackupError);
  await expect(promise).rejects.toMatchObject({ code });
}

export async function readEverything(store: PostgresEventStore): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const last = events[events.length - 1];
    const page = await store.readAll({ fromPosition: last === undefined ? 'start' : last.globalPosition, maxCount: 1000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

/**
 * The one contract every BackupTarget adapter runs, through the public backup functions:
 * full and incremental backups, restore into an empty PostgreSQL event store, tampering
 * detected, the retention policy, unfinished backups invisible and cleaned, ids not reused.
 * `skipReason` skips the whole suite with a printed reason.
 */
export function describeBackupContract(adapterName: string, connect: () => Promise<BackupTargetUnderTest>, options: { skipReason?: string } = {}): void {
  describe(`backup contract: ${adapterName}`, () => {
    if (options.skipReason !== undefined) {
      // Printed so that a skipped adapter is visible in the test output, with the reason.
      console.warn(`backup contract for ${adapterName} skipped: ${options.skipReason}`);
      it.skip(`skipped: ${options.skipReason}`, () => undefined);
      return;
    }
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    const schemas: string[] = [];
    const stores: PostgresEventStore[] = [];
    let underTest: BackupTargetUnderTest;
    let root: BackupTarget;
    const key = randomBytes(32);

    async function newStore(): Promise<PostgresEventStore> {
      const schema = uniqueSchema('backup');
      schemas.push(schema);
      const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
      stores.push(store);
      return store;
    }

    /** `count` events over a few streams, appended one by one. */
    async function fill(store: PostgresEventStore, streams: readonly string[], count: number): Promise<void> {
      for (let i = 0; i < count; i += 1) {
        const streamId = streams[i % streams.length] as string;
        await store.appendToStream(streamId, [newTestEvent({ n: i, text: 'Grüße €', amountMinor: String(i * 100) })], { expectedVersion: 'any' });
      }
    }

    beforeAll(async () => {
      await admin.connect();
    });
    beforeEach(async () => {
      underTest = await connect();
      root = underTest.target;
    });
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      for (const schema of schemas.splice(0)) await admin.query(`drop schema if exists "${schema}" cascade`);
      await underTest.dispose();
    });
    afterAll(async () => {
      await admin.end();
    });

    it('restores a full backup plus incrementals into an empty store: same events, same chain, same head', async () => {
      const source = await newStore();
      const streams = [uniqueStreamId('a'), uniqueStreamId('b'), uniqueStreamId('c')];
      await fill(source, streams, 250);
      const progress: [number, number][] = [];
      const full = await createBackup({ source, root, kind: 'full', key, now: new Date('2026-11-01T02:00:00Z'), chunkEventsMax: 100, onProgress: (done, total) => progress.push([done, total]) });
      expect(full).toMatchObject({ kind: 'full', eventCount: 250, basedOn: null, head: { position: '250' } });
      expect(full.chunks.map((chunk) => chunk.eventCount)).toEqual([100, 100, 50]);
      expect(progress[progress.length - 1]).toEqual([250, 250]);

      await fill(source, streams, 40);
      const daily = await createBackup({ source, root, kind: 'incremental', key, now: new Date('2026-11-02T02:00:00Z') });
      expect(daily).toMatchObject({ kind: 'incremental', basedOn: full.backupId, eventCount: 40, after: { position: '250' }, head: { position: '290' } });
      const quiet = await createBackup({ source, root, kind: 'incremental', key, now: new Date('2026-11-03T02:00:00Z') });
      expect(quiet).toMatchObject({ basedOn: daily.backupId, eventCount: 0, chunks: [] });
      expect((await listBackups(key, root)).map((manifest) => manifest.backupId)).toEqual([full.backupId, daily.backupId, quiet.backupId]);
      expect((await underTest.listRaw()).sort()).toEqual(
        [...full.chunks.map((chunk) => `${full.backupId}/${chunk.file}`), `${full.backupId}/${MANIFEST_FILE}`, `${daily.backupId}/chunk-000001.bin`, `${daily.backupId}/${MANIFEST_FILE}`, `${quiet.backupId}/${MANIFEST_FILE}`].sort(),
      );

      // Nothing stored is readable without the key.
      const chunkBytes = await underTest.readRaw(`${full.backupId}/chunk-000001.bin`);
      expect(chunkBytes.length).toBeGreaterThan(100);
      expect(chunkBytes.includes(Buffer.from(streams[0] as string))).toBe(false);

      const target = await newStore();
      const result = await restoreBackups({ root, key, target });
      expect(result.backupIds).toEqual([full.backupId, daily.backupId, quiet.backupId]);
      expect(result.eventCount).toBe(290);
      expect(await target.readHead()).toEqual(await source.readHead());
      expect(await readEverything(target)).toEqual(await readEverything(source));
      const verification = await verifyEventLog(target, { head: await target.readHead() });
      expect(verification.firstBreak).toBeNull();
      expect(verification.eventsChecked).toBe(290);

      // The restored store goes on as a normal store: stream versions and the chain continue.
      const lastVersion = (await source.readStream(streams[0] as string, { fromVersion: 0, maxCount: 1000 })).length - 1;
      const appended = await target.appendToStream(streams[0] as string, [newTestEvent()], { expectedVersion: lastVersion });
      expect(appended.nextExpectedVersion).toBe(lastVersion + 1);
      expect((await verifyEventLog(target, { head: await target.readHead() })).firstBreak).toBeNull();
    });

    it('refuses a chunk that was altered or is missing, a manifest that was edited, the wrong key and a non-empty target', async () => {
      const source = await newStore();
      await fill(source, [uniqueStreamId('a')], 30);
      const full = await createBackup({ source, root, kind: 'full', key, now: new Date('2026-11-01T02:00:00Z') });

      await expectBackupError(restoreBackups({ root, key: randomBytes(32), target: await newStore() }), 'BACKUP_KEY_MISMATCH');
      await expectBackupError(restoreBackups({ root, key, target: source }), 'RESTORE_TARGET_NOT_EMPTY');

      const chunkKey = `${full.backupId}/chunk-000001.bin`;
      const original = await underTest.readRaw(chunkKey);
      const flipped = Buffer.from(original);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
      await underTest.writeRaw(chunkKey, flipped);
      const target = await newStore();
      await expectBackupError(restoreBackups({ root, key, target }), 'BACKUP_CHUNK_CORRUPT');
      expect((await target.readHead()).position).toBe(0n);
      await underTest.deleteRaw(chunkKey);
      await expectBackupError(restoreBackups({ root, key, target }), 'BACKUP_CHUNK_CORRUPT');
      await underTest.writeRaw(chunkKey, original);

      const manifestKey = `${full.backupId}/${MANIFEST_FILE}`;
      const manifest = JSON.parse((await underTest.readRaw(manifestKey)).toString('utf8')) as { eventCount: number };
      await underTest.writeRaw(manifestKey, Buffer.from(JSON.stringify({ ...manifest, eventCount: 31 })));
      await expectBackupError(restoreBackups({ root, key, target }), 'BACKUP_MANIFEST_INVALID');
      await expectBackupError(listBackups(key, root), 'BACKUP_MANIFEST_INVALID');
      expect((await target.readHead()).position).toBe(0n);
    });

    it('will not back up a log whose hash chain is broken, and leaves nothing behind', async () => {
      const source = await newStore();
      await fill(source, [uniqueStreamId('a')], 20);
      const schema = schemas[0] as string;
      await admin.query(`alter table "${schema}".events disable trigger events_append_only`);
      await admin.query(`update "${schema}".events set data = '{"n": 999}' where global_position = 7`);
      await expectBackupError(createBackup({ source, root, kind: 'full', key, now: new Date(), chunkEventsMax: 5 }), 'BACKUP_CHAIN_BROKEN');
      expect(await underTest.listRaw()).toEqual([]);
    });

    it('an incremental needs a backup to continue', async () => {
      const source = await newStore();
      await fill(source, [uniqueStreamId('a')], 3);
      await expectBackupError(createBackup({ source, root, kind: 'incremental', key, now: new Date() }), 'BACKUP_NOT_FOUND');
      await expectBackupError(restoreBackups({ root, key, target: await newStore() }), 'BACKUP_NOT_FOUND');
    });

    it('a backup without its manifest is invisible, and prune deletes it once it is a day old', async () => {
      const source = await newStore();
      await fill(source, [uniqueStreamId('a')], 12);
      const full = await createBackup({ source, root, kind: 'full', key, now: new Date('2026-11-01T02:00:00Z'), chunkEventsMax: 5 });
      // A run that crashed after writing a chunk: begun, never published.
      await root.begin('20261102T020000Z-incremental');
      await root.put('20261102T020000Z-incremental', 'chunk-000001.bin', randomBytes(64));
      expect((await listBackups(key, root)).map((manifest) => manifest.backupId)).toEqual([full.backupId]);
      await fill(source, [uniqueStreamId('b')], 3);
      const daily = await createBackup({ source, root, kind: 'incremental', key, now: new Date('2026-11-03T02:00:00Z') });
      expect(daily).toMatchObject({ basedOn: full.backupId, eventCount: 3 });

      // A published backup whose manifest is gone is unfinished too: not listed, not restored.
      await underTest.deleteRaw(`${daily.backupId}/${MANIFEST_FILE}`);
      const target = await newStore();
      expect((await restoreBackups({ root, key, target })).backupIds).toEqual([full.backupId]);
      expect((await target.readHead()).position).toBe(12n);

      // Young unfinished backups may still be being written: they stay.
      const young = await pruneBackups({ root, key, now: new Date() });
      expect(young).toEqual({ deleted: [], kept: [full.backupId], discarded: [] });
      const old = await pruneBackups({ root, key, now: new Date(Date.now() + 2 * DAY_MS) });
      expect(old).toEqual({ deleted: [], kept: [full.backupId], discarded: ['20261102T020000Z-incremental', daily.backupId] });
      expect((await underTest.listRaw()).sort()).toEqual([...full.chunks.map((chunk) => `${full.backupId}/${chunk.file}`), `${full.backupId}/${MANIFEST_FILE}`].sort());
    });

    it('never writes over a published backup: the same id again is refused and the first stays whole', async () => {
      const source = await newStore();
      await fill(source, [uniqueStreamId('a')], 8);
      const now = new Date('2026-11-01T02:00:00Z');
      const first = await createBackup({ source, root, kind: 'full', key, now });
      await fill(source, [uniqueStreamId('a')], 2);
      await expectBackupError(createBackup({ source, root, kind: 'full', key, now }), 'BACKUP_ALREADY_EXISTS');
      const target = await newStore();
      const result = await restoreBackups({ root, key, target });
      expect(result).toMatchObject({ backupIds: [first.backupId], eventCount: 8 });
    });

    it('prunes by the retention policy (full 30 days, incremental 7 days) but keeps what a restore needs', async () => {
      const source = await newStore();
      const stream = uniqueStreamId('a');
      const start = Date.parse('2026-09-01T02:00:00Z');
      // Nine weeks: a full backup every 7th day, an incremental on the other days.
      for (let day = 0; day < 63; day += 1) {
        await fill(source, [stream], 1);
        await createBackup({ source, root, kind: day % 7 === 0 ? 'full' : 'incremental', key, now: new Date(start + day * DAY_MS) });
      }
      const now = new Date(start + 62 * DAY_MS + 60_000);
      const { deleted, kept, discarded } = await pruneBackups({ root, key, now });
      expect(discarded).toEqual([]);
      const remaining = await listBackups(key, root);
      expect(remaining.map((manifest) => manifest.backupId)).toEqual(kept);
      expect(deleted.length + kept.length).toBe(63);
      for (const manifest of remaining) {
        const ageDays = (now.getTime() - Date.parse(manifest.createdAt)) / DAY_MS;
        expect(ageDays).toBeLessThanOrEqual(manifest.kind === 'full' ? 30 : 7);
      }
      // Full backups of days 35, 42, 49 and 56; the incrementals of days 57 to 62 (day 55's is a minute past 7 days).
      expect(remaining.map((manifest) => manifest.kind)).toEqual(['full', 'full', 'full', 'full', ...Array<string>(6).fill('incremental')]);
      // Deleted means gone from the target, not only unlisted.
      const folders = new Set((await underTest.listRaw()).map((rawKey) => rawKey.split('/')[0]));
      expect([...folders].sort()).toEqual(kept);
      // What is left still restores to the source's head.
      const target = await newStore();
      const result = await restoreBackups({ root, key, target });
      expect(await target.readHead()).toEqual(await source.readHead());
      expect(result.head.position).toBe(63n);
    });
  });
}
