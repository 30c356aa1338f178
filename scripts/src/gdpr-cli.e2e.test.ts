import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { createDocumentsCommandHandler, DocumentCommands } from '@neuroerp/command-api';
import { dropSchemasWithPrefix, PostgresEventStore } from '@neuroerp/infra';
import { documents, privacy as personalData } from '@neuroerp/schemas';
import { parseServerConfig } from './config';
import { MemoryFileStore } from './demo-data/memory-file-store';
import { openPrivacy } from './privacy';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'bin', 'neuroerp.js');
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_gdprcli_${process.pid}`;
const buyer = { name: 'Erika Mustermann', address: { street: 'Heidestraße 17', postalCode: '51147', city: 'Köln', country: 'DE' } };

describe('npx neuroerp gdpr and keys (the CLI against a store with personal data)', () => {
  let dataDir: string;
  const documentId = randomUUID();

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-gdprcli-'));
    const config = parseServerConfig({ DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const store = await PostgresEventStore.connect({ connectionString, schema });
    const privacy = await openPrivacy(config, connectionString);
    const commands = new DocumentCommands(createDocumentsCommandHandler(privacy.protect(store)), new MemoryFileStore());
    await commands.create({ actor: { userId: 'accountant-1', role: 'accountant' }, correlationId: 'cli-test', requestId: null }, { documentId, type: 'sales_invoice', content: { ...documents.exampleInvoiceContent, buyer } });
    await privacy.close();
    await store.close();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await dropSchemasWithPrefix(schema, connectionString);
  });

  it('finds the subject id, refuses to forget without --yes, forgets with it, and keeps verify green', async () => {
    const id = await cli('gdpr', 'subject-id', '--name', buyer.name, '--postal-code', buyer.address.postalCode, '--country', 'DE');
    expect(id.code).toBe(0);
    const subjectId = id.stdout.trim();
    expect(subjectId).toMatch(/^party-[0-9a-f]{32}$/);

    const unconfirmed = await cli('gdpr', 'forget', subjectId, '--reason', 'request #17');
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('--yes');

    const forgotten = await cli('gdpr', 'forget', subjectId, '--reason', 'request #17', '--yes', '--json');
    expect(forgotten.code).toBe(0);
    const report = JSON.parse(forgotten.stdout) as { subjectId: string; keyDestroyed: boolean; rebuilt: { name: string }[] };
    expect(report).toMatchObject({ subjectId, keyDestroyed: true });
    expect(report.rebuilt.map((item) => item.name).sort()).toEqual(['documents', 'search', 'users']);

    // The read model the CLI rebuilt shows the erased marker; the log still verifies.
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    try {
      const active = await admin.query<{ schema_name: string }>(`select schema_name from "${schema}_rm".projection_active_versions where name = 'documents'`);
      const row = await admin.query<{ content: { buyer: { name: string } } }>(`select content from "${active.rows[0]?.schema_name}".documents where document_id = $1`, [documentId]);
      expect(row.rows[0]?.content.buyer.name).toBe(personalData.ERASED);
    } finally {
      await admin.end();
    }
    const verify = await cli('verify');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^OK: /);

    const bad = await cli('gdpr', 'forget', 'not-a-subject', '--reason', 'x', '--yes');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('a subject id is user-<user id> or party-<32 hex digits>');
  });

  it('shows the key status, rotates, and the status shows every data key under the new version', async () => {
    const before = await cli('keys', 'status', '--json');
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ currentVersion: 1, rotationDue: false, forgottenSubjects: 1 });

    const rotated = await cli('keys', 'rotate');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/added master key version 2/);
    const after = JSON.parse((await cli('keys', 'status', '--json')).stdout) as { currentVersion: number; dataKeysByMasterVersion: { version: number; dataKeys: number }[]; dataKeysUnderOlderVersions: number };
    expect(after.currentVersion).toBe(2);
    expect(after.dataKeysUnderOlderVersions).toBe(0);
    expect(after.dataKeysByMasterVersion.map((entry) => entry.version)).toEqual([2]);
  });
});
