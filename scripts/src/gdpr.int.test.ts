import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDocumentsCommandHandler, DocumentCommands } from '@neuroerp/command-api';
import { ChainVerifier, dropSchemasWithPrefix, GENESIS_HASH, PostgresEventStore } from '@neuroerp/infra';
import { getDocument, getUser, listReplays, PostgresSearchIndex, replayProjection, searchProjection } from '@neuroerp/projections';
import { documents, privacy as personalData } from '@neuroerp/schemas';
import { parseServerConfig } from './config';
import { MemoryFileStore } from './demo-data/memory-file-store';
import { forgetSubject, openPrivacy, type Privacy } from './privacy';
import { ProjectionService } from './projections';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_gdpr_${randomBytes(4).toString('hex')}`;
const context = { actor: { userId: 'accountant-1', role: 'accountant' as const }, correlationId: 'gdpr-test', requestId: null };
const USER_ID = '7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const erika = { name: 'Erika Mustermann', address: { street: 'Heidestraße 17', postalCode: '51147', city: 'Köln', country: 'DE' } };

describe('gdpr forget: crypto-shredding through the read models, the search and replays', () => {
  let dataDir: string;
  let store: PostgresEventStore;
  let privacy: Privacy;
  let service: ProjectionService;
  let commands: DocumentCommands;
  const erikasInvoice = randomUUID();
  const othersInvoice = randomUUID();

  async function caughtUp(): Promise<void> {
    const head = (await store.readHead()).position.toString();
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const statuses = await service.status();
      if (statuses.every((status) => status.position === head)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`projections did not reach ${head}`);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-gdpr-'));
    const config = parseServerConfig({ DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    store = await PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 50 });
    privacy = await openPrivacy(config, connectionString);
    commands = new DocumentCommands(createDocumentsCommandHandler(privacy.protect(store)), new MemoryFileStore());
    await commands.create(context, { documentId: erikasInvoice, type: 'sales_invoice', content: { ...documents.exampleInvoiceContent, invoiceNumber: 'RE-1', buyer: erika } });
    await commands.create(context, { documentId: othersInvoice, type: 'sales_invoice', content: { ...documents.exampleInvoiceContent, invoiceNumber: 'RE-2' } });
    await privacy.protect(store).appendToStream(
      `identity.user-${USER_ID}`,
      [
        {
          eventId: randomUUID(),
          type: 'identity.user_created',
          schemaVersion: 1,
          data: { userId: USER_ID, username: 'erika', displayName: 'Erika Mustermann', role: 'user', passwordHash: `scrypt$16384$8$1$${'a'.repeat(32)}$${'b'.repeat(128)}`, createdBy: 'self', createdAt: '2026-01-01T00:00:00.000Z' },
          metadata: { actor: { userId: 'self', role: 'user' }, correlationId: 'register', causationId: null, occurredAt: '2026-01-01T00:00:00.000Z', requestId: null },
        },
      ],
      { expectedVersion: 'no_stream' },
    );
    service = await ProjectionService.open({ connectionString, eventStoreSchema: schema, store, reveal: (events) => privacy.cipher.reveal(events) });
    service.startRunners();
    await caughtUp();
  });
  afterAll(async () => {
    await service.close();
    await privacy.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
    await dropSchemasWithPrefix(schema, connectionString);
  });

  const buyerOf = async (documentId: string) => ((await getDocument(service.db, service.controlSchema, documentId))?.content as { buyer: typeof erika }).buyer;
  const search = (query: string) => new PostgresSearchIndex({ db: service.db, controlSchema: service.controlSchema, projectionName: searchProjection.name }).search(query, { limit: 10 });

  it('stores ciphertext only, while the read models and the search show the plaintext', async () => {
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    const { rows } = await admin.query<{ data: string }>(`select data::text as data from "${schema}".events`);
    await admin.end();
    expect(rows.map((row) => row.data).join('\n')).not.toMatch(/Mustermann|Heidestraße|Köln/);
    expect(await buyerOf(erikasInvoice)).toEqual(erika);
    expect((await getDocument(service.db, service.controlSchema, erikasInvoice))?.title).toContain('Erika Mustermann');
    expect((await getUser(service.db, service.controlSchema, USER_ID))?.displayName).toBe('Erika Mustermann');
    expect((await search('Mustermann')).map((hit) => hit.id)).toEqual([erikasInvoice]);
  });

  it('erases the party everywhere, keeps everyone else and the chain, and stays erased after a rebuild and a replay', async () => {
    await replayProjection({ db: service.db, controlSchema: service.controlSchema, store, projection: service.projection('documents'), into: `${schema}_before`, untilPosition: (await store.readHead()).position });
    const subjectId = await privacy.cipher.subjectIdOf({ kind: 'party', naturalKey: personalData.partyNaturalKey(erika) as string });
    const report = await forgetSubject({ privacy, store, projections: service, subjectId, reason: 'GDPR request #17', actor: { userId: 'admin-1', role: 'admin' }, now: new Date() });

    expect(report).toMatchObject({ subjectId, keyDestroyed: true, alreadyForgotten: false, droppedReplays: [`${schema}_before`] });
    expect(report.rebuilt.map((item) => item.name).sort()).toEqual(['documents', 'search', 'users']);
    expect(report.rebuilt.every((item) => item.droppedTableSet !== null)).toBe(true);
    expect(await listReplays(service.db, service.controlSchema)).toEqual([]);
    const erased = personalData.ERASED;
    expect(await buyerOf(erikasInvoice)).toEqual({ name: erased, address: { street: erased, postalCode: erased, city: erased, country: 'DE' } });
    expect((await getDocument(service.db, service.controlSchema, erikasInvoice))?.content).toMatchObject({ grossTotal: '410.50', invoiceNumber: 'RE-1' });
    expect(await buyerOf(othersInvoice)).toEqual(documents.exampleInvoiceContent.buyer);
    expect(await search('Mustermann')).toEqual([]);
    // A different subject: the user Erika is not the party Erika.
    expect((await getUser(service.db, service.controlSchema, USER_ID))?.displayName).toBe('Erika Mustermann');

    // The erasure is in the log, and the log (ciphertext untouched) still verifies.
    const log = await store.readAll({ fromPosition: 'start', maxCount: 100 });
    expect(log.at(-1)).toMatchObject({ type: personalData.SUBJECT_FORGOTTEN, streamId: personalData.privacyStreamId(subjectId), data: { subjectId, reason: 'GDPR request #17' } });
    const verifier = new ChainVerifier({ position: 0n, hash: GENESIS_HASH });
    expect(log.every((event) => verifier.check(event))).toBe(true);

    // Later rebuilds and replays cannot bring it back.
    await forgetSubject({ privacy, store, projections: service, subjectId, reason: 'again', actor: { userId: 'admin-1', role: 'admin' }, now: new Date() }).then((again) => {
      expect(again).toMatchObject({ alreadyForgotten: true, position: null });
    });
    expect(await buyerOf(erikasInvoice)).toMatchObject({ name: erased });
    await replayProjection({ db: service.db, controlSchema: service.controlSchema, store, projection: service.projection('documents'), into: `${schema}_after`, untilPosition: (await store.readHead()).position });
    const replayed = await service.db.raw(`select content from "${schema}_after".documents where document_id = ?`, [erikasInvoice]);
    expect((replayed.rows[0] as { content: { buyer: typeof erika } }).content.buyer.name).toBe(erased);

    // New personal data of the forgotten party is refused (the API answers 410 SUBJECT_FORGOTTEN).
    await expect(commands.create(context, { documentId: randomUUID(), type: 'sales_invoice', content: { ...documents.exampleInvoiceContent, buyer: erika } })).rejects.toMatchObject({ code: 'SUBJECT_FORGOTTEN' });
  });

  it('forgets a user by id: the display name is erased, the account stays', async () => {
    const report = await forgetSubject({ privacy, store, projections: service, subjectId: `user-${USER_ID}`, reason: 'account holder asked', actor: { userId: 'admin-1', role: 'admin' }, now: new Date() });
    expect(report.keyDestroyed).toBe(true);
    await caughtUp();
    expect(await getUser(service.db, service.controlSchema, USER_ID)).toMatchObject({ username: 'erika', displayName: personalData.ERASED, role: 'user' });
  });

  it('refuses what is not a subject id, writing nothing', async () => {
    const head = (await store.readHead()).position;
    for (const subjectId of ['', 'party-xyz', 'user-', '$party-ids', 'user-a b', 'party-' + 'A'.repeat(32)]) {
      await expect(forgetSubject({ privacy, store, projections: service, subjectId, reason: 'x', actor: { userId: 'admin-1', role: 'admin' }, now: new Date() })).rejects.toThrow(/subject id/);
    }
    expect((await store.readHead()).position).toBe(head);
  });
});
