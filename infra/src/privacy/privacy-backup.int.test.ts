import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { documents, privacy as personalData, type NewEvent } from '@neuroerp/schemas';
import { createBackup, restoreBackups } from '../backup/backup';
import { PostgresEventStore } from '../event-store/postgres/postgres-event-store';
import { newTestEvent } from '../event-store/test-support';
import { PostgresDataKeyStore } from './data-key-store';
import { loadMasterKeyRing, MasterKeyRing } from './master-key-ring';
import { PersonalDataCipher } from './personal-data-cipher';
import { PersonalDataEventStore } from './personal-data-event-store';
import { dropSchemasWithPrefix } from '../event-store/postgres/test-database';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const prefix = `test_pdbackup_${randomBytes(4).toString('hex')}`;
const party = (name: string) => ({ name, address: { street: 'Ringstraße 2', postalCode: '50667', city: 'Köln', country: 'DE' } });

function invoice(buyerName: string): NewEvent {
  return newTestEvent(
    { documentId: randomUUID(), type: 'sales_invoice', content: { ...documents.exampleInvoiceContent, buyer: party(buyerName) }, createdBy: 'user-1', createdAt: '2026-01-02T00:00:00.000Z' },
    'documents.document_created',
  );
}

const buyerNames = async (store: PersonalDataEventStore) =>
  (await store.readAll({ fromPosition: 'start', maxCount: 100 })).filter((event) => event.type === 'documents.document_created').map((event) => (event.data as { content: { buyer: { name: string } } }).content.buyer.name);

describe('backups carry the data keys of personal data, and a restore honours every erasure in the log', () => {
  const opened: { close(): Promise<void> }[] = [];
  let dir: string;
  const backupKey = randomBytes(32);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-pdbackup-'));
  });
  afterAll(async () => {
    for (const resource of opened.reverse()) await resource.close();
    await rm(dir, { recursive: true, force: true });
    await dropSchemasWithPrefix(prefix, connectionString);
  });

  async function openSide(schema: string, ring: MasterKeyRing) {
    const store = await PostgresEventStore.connect({ connectionString, schema });
    opened.push(store);
    const keys = await PostgresDataKeyStore.connect({ connectionString, schema, ring });
    opened.push(keys);
    return { store, keys, personal: new PersonalDataEventStore(store, new PersonalDataCipher(keys)) };
  }

  it('restores readable personal data with the same master keys, erased where the log says so, and refuses other master keys before writing', async () => {
    const ring = await loadMasterKeyRing({ keysDir: path.join(dir, 'keys') });
    const original = await openSide(`${prefix}_a`, ring);
    await original.personal.appendToStream('documents.document-1', [invoice('Erika Mustermann'), invoice('Max Mustermann')], { expectedVersion: 'no_stream' });
    const backups = path.join(dir, 'backups');
    const full = await createBackup({ source: original.store, root: backups, kind: 'full', key: backupKey, now: new Date('2026-03-01T02:00:00Z'), dataKeys: original.keys });
    expect(full.dataKeys?.count).toBeGreaterThanOrEqual(3); // two parties, the seller, and the key of party ids

    // Max is forgotten after the full backup; the erasure reaches the next incremental as an event.
    const maxId = await new PersonalDataCipher(original.keys).subjectIdOf({ kind: 'party', naturalKey: personalData.partyNaturalKey(party('Max Mustermann')) as string });
    await original.keys.forget(maxId, new Date('2026-03-02T00:00:00Z'));
    await original.store.appendToStream(
      personalData.privacyStreamId(maxId),
      [newTestEvent({ subjectId: maxId, forgottenAt: '2026-03-02T00:00:00.000Z', reason: 'request #1' }, personalData.SUBJECT_FORGOTTEN)],
      { expectedVersion: 'no_stream' },
    );
    expect(await buyerNames(original.personal)).toEqual(['Erika Mustermann', personalData.ERASED]);
    await createBackup({ source: original.store, root: backups, kind: 'incremental', key: backupKey, now: new Date('2026-03-03T02:00:00Z'), dataKeys: original.keys });

    // A machine with other master keys: nothing is restored.
    const stranger = await openSide(`${prefix}_b`, await loadMasterKeyRing({ keysDir: path.join(dir, 'other-keys') }));
    await expect(restoreBackups({ root: backups, key: backupKey, target: stranger.store, dataKeys: stranger.keys })).rejects.toMatchObject({ code: 'PRIVACY_MASTER_KEY_MISMATCH' });
    expect((await stranger.store.readHead()).position).toBe(0n);

    // The master keys restored from escrow (here: the same key file): everything but the erased subject reads again.
    const restored = await openSide(`${prefix}_c`, MasterKeyRing.of(ring.versions, { kind: 'configured' }));
    const result = await restoreBackups({ root: backups, key: backupKey, target: restored.store, dataKeys: restored.keys });
    expect(result.backupIds).toHaveLength(2);
    expect(await buyerNames(restored.personal)).toEqual(['Erika Mustermann', personalData.ERASED]);
    expect(await restored.keys.isForgotten(maxId)).toBe(true);
    expect((await restored.keys.status()).forgottenSubjects).toBe(1);
  });

  it('restores an erasure even when the newest key snapshot predates it (only the log knows)', async () => {
    const ring = await loadMasterKeyRing({ keysDir: path.join(dir, 'keys-2') });
    const original = await openSide(`${prefix}_d`, ring);
    await original.personal.appendToStream('documents.document-2', [invoice('Anna Beispiel')], { expectedVersion: 'no_stream' });
    const backups = path.join(dir, 'backups-2');
    // The incremental backup is made without data keys (an older tool): the full backup's snapshot still holds Anna's key.
    await createBackup({ source: original.store, root: backups, kind: 'full', key: backupKey, now: new Date('2026-03-01T02:00:00Z'), dataKeys: original.keys });
    const annaId = await new PersonalDataCipher(original.keys).subjectIdOf({ kind: 'party', naturalKey: personalData.partyNaturalKey(party('Anna Beispiel')) as string });
    await original.keys.forget(annaId, new Date());
    await original.store.appendToStream(personalData.privacyStreamId(annaId), [newTestEvent({ subjectId: annaId, forgottenAt: '2026-03-02T00:00:00.000Z', reason: 'r' }, personalData.SUBJECT_FORGOTTEN)], {
      expectedVersion: 'no_stream',
    });
    const incremental = await createBackup({ source: original.store, root: backups, kind: 'incremental', key: backupKey, now: new Date('2026-03-03T02:00:00Z') });
    expect(incremental.dataKeys).toBeUndefined();

    const restored = await openSide(`${prefix}_e`, MasterKeyRing.of(ring.versions, { kind: 'configured' }));
    await restoreBackups({ root: backups, key: backupKey, target: restored.store, dataKeys: restored.keys });
    expect(await buyerNames(restored.personal)).toEqual([personalData.ERASED]);
  });
});
