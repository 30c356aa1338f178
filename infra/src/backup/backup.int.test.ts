import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { EventStoreError } from '../event-store/errors';
import { PostgresEventStore } from '../event-store/postgres/postgres-event-store';
import { testDatabaseUrl, uniqueSchema } from '../event-store/postgres/test-database';
import { newTestEvent, uniqueStreamId } from '../event-store/test-support';
import { createBackup } from './backup';
import { describeBackupContract, expectBackupError, readEverything, type BackupTargetUnderTest } from './backup.contract';
import { listBackups } from './manifest';
import { createS3Client, type S3ConnectionOptions } from '../s3/client';
import { S3BackupTarget } from './s3-target';
import { configuredS3Server, startS3TestServer, type S3TestServer } from '../s3/test-server';
import { DirectoryBackupTarget } from './target';

describeBackupContract('local directory', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'neuroerp-backup-'));
  const file = (key: string) => path.join(root, ...key.split('/'));
  return {
    target: new DirectoryBackupTarget(root),
    listRaw: () => listFiles(root),
    readRaw: (key) => readFile(file(key)),
    writeRaw: (key, bytes) => writeFile(file(key), bytes),
    deleteRaw: (key) => rm(file(key)),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

/** Every file under `dir`, as `/`-separated paths relative to it. */
async function listFiles(dir: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(dir, name)));
    else files.push(name);
  }
  return files;
}

/** A fresh prefix in the bucket of `connection` for each test, with raw access through a second client. */
function s3UnderTest(connection: () => Promise<S3ConnectionOptions>): () => Promise<BackupTargetUnderTest> {
  return async () => {
    const options = await connection();
    const prefix = `backups-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}/`;
    const raw: S3Client = createS3Client(options);
    const Bucket = options.bucket;
    const listRaw = async (): Promise<string[]> => {
      const answer = await raw.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
      expect(answer.IsTruncated).not.toBe(true);
      return (answer.Contents ?? []).map((object) => (object.Key as string).slice(prefix.length));
    };
    const target = new S3BackupTarget({ ...options, prefix });
    return {
      target,
      listRaw,
      readRaw: async (key) => {
        const answer = await raw.send(new GetObjectCommand({ Bucket, Key: `${prefix}${key}` }));
        return Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
      },
      writeRaw: async (key, bytes) => {
        await raw.send(new PutObjectCommand({ Bucket, Key: `${prefix}${key}`, Body: bytes }));
      },
      deleteRaw: async (key) => {
        await raw.send(new DeleteObjectCommand({ Bucket, Key: `${prefix}${key}` }));
      },
      dispose: async () => {
        for (const key of await listRaw()) await raw.send(new DeleteObjectCommand({ Bucket, Key: `${prefix}${key}` }));
        raw.destroy();
        await target.close();
      },
    };
  };
}

// One s3rver for the whole file, started by the first test that needs it.
let s3rver: Promise<S3TestServer> | null = null;
const inTestS3 = () => (s3rver ??= startS3TestServer()).then((server) => server.connection);
afterAll(async () => {
  if (s3rver !== null) await (await s3rver).stop();
});

describeBackupContract('S3 bucket (in-test s3rver)', s3UnderTest(inTestS3));

// e.g. MinIO: S3_ENDPOINT=http://localhost:9000 S3_ACCESS_KEY_ID=minioadmin S3_SECRET_ACCESS_KEY=minioadmin
describeBackupContract(
  `S3 bucket at S3_ENDPOINT (${process.env.S3_ENDPOINT ?? 'unset'})`,
  s3UnderTest(async () => (await configuredS3Server(process.env)) as S3ConnectionOptions),
  { skipReason: process.env.S3_ENDPOINT ? undefined : 'S3_ENDPOINT is not set (the S3 contract ran against the in-test s3rver above)' },
);

describe('S3 backup target failures carry a code, not a stack trace', () => {
  const key = randomBytes(32);
  it.each([
    ['a bucket that does not exist', async () => ({ ...(await inTestS3()), bucket: 'no-such-bucket' }), 'BACKUP_TARGET_NOT_FOUND'],
    ['credentials the server does not know', async () => ({ ...(await inTestS3()), accessKeyId: 'WRONG', secretAccessKey: 'WRONG' }), 'BACKUP_TARGET_ACCESS_DENIED'],
    ['a server that is not there', async () => ({ ...(await inTestS3()), endpoint: 'http://127.0.0.1:9' }), 'BACKUP_TARGET_UNREACHABLE'],
  ] as const)('%s', async (_name, connection, code) => {
    const target = new S3BackupTarget({ ...(await connection()), prefix: 'backups' });
    try {
      await expectBackupError(listBackups(key, target), code);
      await expectBackupError(target.put('20261101T020000Z-full', 'chunk-000001.bin', Buffer.from('x')), code);
      await expect(listBackups(key, target)).rejects.toThrow(target.description);
    } finally {
      await target.close();
    }
  });
});

/** Schemas of the tests below (the contract drops its own). */
const schemasToDrop: string[] = [];
function newSchema(): string {
  const schema = uniqueSchema('backup');
  schemasToDrop.push(schema);
  return schema;
}
afterAll(async () => {
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  for (const schema of schemasToDrop) await admin.query(`drop schema if exists "${schema}" cascade`);
  await admin.end();
});

describe('backups of a folder', () => {
  it('a folder that does not exist yet holds no backups, and the first backup creates it', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'neuroerp-backup-'));
    const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema: newSchema() });
    try {
      const root = path.join(parent, 'not', 'yet');
      const key = Buffer.alloc(32, 7);
      expect(await listBackups(key, root)).toEqual([]);
      await store.appendToStream(uniqueStreamId('a'), [newTestEvent()], { expectedVersion: 'any' });
      const full = await createBackup({ source: store, root, kind: 'full', key, now: new Date('2026-11-01T02:00:00Z') });
      expect((await listBackups(key, root)).map((manifest) => manifest.backupId)).toEqual([full.backupId]);
      // A folder named like a backup but without a manifest (a copy in progress, a damaged disk) is not a backup.
      await mkdir(path.join(root, '20261102T020000Z-incremental'));
      expect((await listBackups(key, root)).map((manifest) => manifest.backupId)).toEqual([full.backupId]);
    } finally {
      await store.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('importRecorded', () => {
  it('refuses events that do not continue the log', async () => {
    const stores = await Promise.all([newSchema(), newSchema()].map((schema) => PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema })));
    const [source, target] = stores as [PostgresEventStore, PostgresEventStore];
    try {
      for (let i = 0; i < 5; i += 1) await source.appendToStream(uniqueStreamId('a'), [newTestEvent({ n: i })], { expectedVersion: 'any' });
      const events = await readEverything(source);
      await expect(target.importRecorded(events.slice(1))).rejects.toMatchObject({ code: 'IMPORT_REJECTED' });
      const edited = events.map((event, index) => (index === 2 ? { ...event, data: { n: -1 } } : event));
      await expect(target.importRecorded(edited)).rejects.toBeInstanceOf(EventStoreError);
      expect((await target.readHead()).position).toBe(0n);
      await target.importRecorded(events.slice(0, 2));
      await target.importRecorded(events.slice(2));
      expect(await readEverything(target)).toEqual(events);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
