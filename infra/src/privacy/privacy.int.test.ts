import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { documents, privacy as personalData, type NewEvent } from '@neuroerp/schemas';
import { ChainVerifier, GENESIS_HASH } from '../event-store/hash-chain';
import { PostgresEventStore } from '../event-store/postgres/postgres-event-store';
import { newTestEvent } from '../event-store/test-support';
import { PostgresDataKeyStore } from './data-key-store';
import { PrivacyError } from './errors';
import { addMasterKeyVersion, loadMasterKeyRing, MASTER_KEYS_FILE, MasterKeyRing, parseConfiguredMasterKeys } from './master-key-ring';
import { PersonalDataCipher } from './personal-data-cipher';
import { PersonalDataEventStore } from './personal-data-event-store';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_privacy_${randomBytes(4).toString('hex')}`;

const USER_ID = '3f0c8a52-6d1e-4b7a-9a51-0d2b4c6e8f10';
const erika = { name: 'Erika Mustermann', address: { street: 'Heidestraße 17', postalCode: '51147', city: 'Köln', country: 'DE' } };
const { seller } = documents.exampleInvoiceContent;

function userCreated(): NewEvent {
  const event = newTestEvent(
    { userId: USER_ID, username: 'erika', displayName: 'Erika M.', role: 'user', passwordHash: 'scrypt$x', createdBy: 'self', createdAt: '2026-01-01T00:00:00.000Z' },
    'identity.user_created',
  );
  return event;
}

function invoiceCreated(buyer: unknown, documentId = randomUUID()): NewEvent {
  return newTestEvent(
    { documentId, type: 'sales_invoice', content: { ...documents.exampleInvoiceContent, buyer }, createdBy: 'user-1', createdAt: '2026-01-02T00:00:00.000Z' },
    'documents.document_created',
  );
}

const json = (value: unknown) => JSON.stringify(value);

describe('personal data: AES-256-GCM per data subject, crypto-shredding and master-key rotation', () => {
  let keysDir: string;
  let ring: MasterKeyRing;
  let keys: PostgresDataKeyStore;
  let cipher: PersonalDataCipher;
  let store: PostgresEventStore;

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-privacy-'));
    ring = await loadMasterKeyRing({ keysDir });
    keys = await PostgresDataKeyStore.connect({ connectionString, schema, ring });
    cipher = new PersonalDataCipher(keys);
    store = await PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 50 });
  });
  afterAll(async () => {
    await store.close();
    await keys.close();
    await rm(keysDir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it('generates the master key ring once, private to its owner', async () => {
    const file = path.join(keysDir, MASTER_KEYS_FILE);
    expect((await stat(file)).mode & 0o077).toBe(0);
    const again = await loadMasterKeyRing({ keysDir });
    expect(again.current.key.equals(ring.current.key)).toBe(true);
    expect(again.current.version).toBe(1);
    expect(JSON.parse(await readFile(file, 'utf8')).keys).toHaveLength(1);
  });

  it('encrypts exactly the personal fields, and reveals them again', async () => {
    const events = [userCreated(), invoiceCreated(erika)];
    const protectedEvents = await cipher.protect(events);
    const stored = json(protectedEvents);
    for (const secret of ['Erika M.', 'Erika Mustermann', 'Heidestraße', '51147', 'Köln', seller.name, seller.address.street]) expect(stored).not.toContain(secret);
    // Not personal data: ids, amounts, VAT ids, countries, invoice numbers.
    for (const kept of [USER_ID, 'erika', '410.50', seller.vatId, 'RE-2025-0001', '"country":"DE"']) expect(stored).toContain(kept);
    const buyer = (protectedEvents[1]?.data as { content: { buyer: { name: string } } }).content.buyer;
    expect(buyer.name).toMatch(/^pd1:party-[0-9a-f]{32}:/);
    expect(await cipher.reveal(protectedEvents)).toEqual(events);
  });

  it('gives a party one subject id across documents: by VAT id when it has one, else by name, postal code and country', async () => {
    const subjectOf = async (event: NewEvent) => /^pd1:([^:]+):/.exec((event.data as { content: { buyer: { name: string } } }).content.buyer.name)?.[1];
    const [first, second, renamedStreet] = await cipher.protect([invoiceCreated(erika), invoiceCreated({ ...erika, name: '  erika   MUSTERMANN ' }), invoiceCreated({ ...erika, address: { ...erika.address, street: 'Neue Straße 1' } })]);
    expect(await subjectOf(first as NewEvent)).toBe(await subjectOf(second as NewEvent));
    expect(await subjectOf(first as NewEvent)).toBe(await subjectOf(renamedStreet as NewEvent));
    const [withVat] = await cipher.protect([invoiceCreated({ ...erika, vatId: 'DE111222333' })]);
    expect(await subjectOf(withVat as NewEvent)).toBe(await cipher.subjectIdOf({ kind: 'party', naturalKey: 'vat:DE111222333' }));
    expect(await subjectOf(withVat as NewEvent)).not.toBe(await subjectOf(first as NewEvent));
  });

  it('refuses altered or moved ciphertext', async () => {
    const [event] = await cipher.protect([invoiceCreated(erika)]);
    const content = (event?.data as { content: { buyer: typeof erika; seller: typeof erika } }).content;
    const tampered = structuredClone(event as NewEvent);
    const tamperedBuyer = (tampered.data as { content: { buyer: typeof erika } }).content.buyer;
    tamperedBuyer.name = `${tamperedBuyer.name.slice(0, -3)}${tamperedBuyer.name.endsWith('A') ? 'B' : 'A'}${tamperedBuyer.name.slice(-2)}`;
    await expect(cipher.reveal([tampered])).rejects.toMatchObject({ code: 'PERSONAL_DATA_UNREADABLE' });
    // The city's ciphertext in the street field: same subject and key, other place.
    const moved = structuredClone(event as NewEvent);
    (moved.data as { content: { buyer: typeof erika } }).content.buyer.address.street = content.buyer.address.city;
    await expect(cipher.reveal([moved])).rejects.toMatchObject({ code: 'PERSONAL_DATA_UNREADABLE' });
  });

  it('forgets one subject: its fields read as [erased], everyone else stays readable, and it is never recorded again', async () => {
    const other = { ...erika, name: 'Max Mustermann' };
    const [erikas, maxs, user] = await cipher.protect([invoiceCreated(erika), invoiceCreated(other), userCreated()]);
    const erikaId = await cipher.subjectIdOf({ kind: 'party', naturalKey: personalData.partyNaturalKey(erika) as string });
    expect(await keys.forget(erikaId, new Date('2026-02-01T00:00:00Z'))).toEqual({ existed: true, alreadyForgotten: false });
    expect(await keys.forget(erikaId, new Date('2026-02-02T00:00:00Z'))).toEqual({ existed: false, alreadyForgotten: true });
    const [erikaRevealed, maxRevealed, userRevealed] = await cipher.reveal([erikas, maxs, user] as NewEvent[]);
    const buyer = (erikaRevealed?.data as { content: { buyer: typeof erika; seller: typeof erika; grossTotal: string } }).content;
    expect(buyer.buyer).toEqual({ name: personalData.ERASED, address: { street: personalData.ERASED, postalCode: personalData.ERASED, city: personalData.ERASED, country: 'DE' } });
    expect(buyer.seller.name).toBe(seller.name);
    expect(buyer.grossTotal).toBe('410.50');
    expect((maxRevealed?.data as { content: { buyer: typeof erika } }).content.buyer.name).toBe('Max Mustermann');
    expect((userRevealed?.data as { displayName: string }).displayName).toBe('Erika M.');
    await expect(cipher.protect([invoiceCreated(erika)])).rejects.toMatchObject({ code: 'SUBJECT_FORGOTTEN' });
    expect(await keys.isForgotten(erikaId)).toBe(true);
  });

  it('keeps the log whole: the store holds only ciphertext and its hash chain verifies after forgetting', async () => {
    const personal = new PersonalDataEventStore(store, cipher);
    const anna = { ...erika, name: 'Anna Beispiel', address: { ...erika.address, postalCode: '10115' } };
    const streamId = `documents.document-${randomUUID()}`;
    const subscription = personal.subscribeToAll({ fromPosition: 'start' });
    await personal.appendToStream(streamId, [invoiceCreated(anna)], { expectedVersion: 'no_stream' });
    await personal.appendToStream('identity.user-x', [userCreated()], { expectedVersion: 'any' });
    const client = new pg.Client({ connectionString });
    await client.connect();
    const { rows } = await client.query(`select data::text as data from "${schema}".events`);
    await client.end();
    expect(rows.map((row: { data: string }) => row.data).join('\n')).not.toMatch(/Anna Beispiel|Erika M\./);
    expect(((await personal.readStream(streamId, { maxCount: 10 }))[0]?.data as { content: { buyer: { name: string } } }).content.buyer.name).toBe('Anna Beispiel');
    for await (const event of subscription) {
      expect((event.data as { content: { buyer: { name: string } } }).content.buyer.name).toBe('Anna Beispiel');
      break;
    }
    await subscription.stop();

    await keys.forget(await cipher.subjectIdOf({ kind: 'party', naturalKey: personalData.partyNaturalKey(anna) as string }), new Date());
    expect(((await personal.readAll({ fromPosition: 'start', maxCount: 10 }))[0]?.data as { content: { buyer: { name: string } } }).content.buyer.name).toBe(personalData.ERASED);
    const verifier = new ChainVerifier({ position: 0n, hash: GENESIS_HASH });
    const raw = await store.readAll({ fromPosition: 'start', maxCount: 100 });
    expect(raw).toHaveLength(2);
    expect(raw.every((event) => verifier.check(event))).toBe(true);
  });

  it('rotates the master key: re-wraps every data key, old ciphertexts stay readable, and the old version can go', async () => {
    const [event] = await cipher.protect([invoiceCreated({ ...erika, name: 'Rita Rotation' })]);
    const before = await keys.status();
    expect(before.byMasterVersion).toEqual([{ version: 1, dataKeys: expect.any(Number) }]);

    const grown = await addMasterKeyVersion(ring, new Date('2026-03-01T00:00:00Z'));
    expect(grown.current.version).toBe(2);
    const rotated = await PostgresDataKeyStore.connect({ connectionString, schema, ring: grown });
    const progress: number[] = [];
    const { rewrapped } = await rotated.rewrapAll((done) => progress.push(done));
    expect(rewrapped).toBe(before.byMasterVersion[0]?.dataKeys);
    expect(progress.at(-1)).toBe(rewrapped);
    const after = await rotated.status();
    expect(after.byMasterVersion).toEqual([{ version: 2, dataKeys: rewrapped }]);
    expect(after.forgottenSubjects).toBe(before.forgottenSubjects);
    expect(after.masterVersions.map((version) => version.version)).toEqual([1, 2]);
    await rotated.close();

    // Only version 2 configured: every data key unwraps, so version 1 is retired for good.
    const onlyNew = MasterKeyRing.of([grown.current], { kind: 'configured' });
    const retired = await PostgresDataKeyStore.connect({ connectionString, schema, ring: onlyNew });
    const [revealed] = await new PersonalDataCipher(retired).reveal([event as NewEvent]);
    expect((revealed?.data as { content: { buyer: { name: string } } }).content.buyer.name).toBe('Rita Rotation');
    // The process that still holds version 1 only re-reads its key file and finds version 2.
    const [stillReadable] = await cipher.reveal([event as NewEvent]);
    expect((stillReadable?.data as { content: { buyer: { name: string } } }).content.buyer.name).toBe('Rita Rotation');
    await retired.close();
  });

  it('refuses a different key under a known version, and configured keys that are malformed', async () => {
    const impostor = MasterKeyRing.of([{ version: 1, key: randomBytes(32), createdAt: '2026-01-01T00:00:00.000Z' }], { kind: 'configured' });
    await expect(PostgresDataKeyStore.connect({ connectionString, schema, ring: impostor })).rejects.toMatchObject({ code: 'PRIVACY_MASTER_KEY_MISMATCH' });
    const rows: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[]', /PRIVACY_MASTER_KEYS/],
      [json([{ version: 1, key: randomBytes(16).toString('base64'), createdAt: '2026-01-01T00:00:00Z' }]), /32 bytes/],
      [json([{ version: 1, key: randomBytes(32).toString('base64'), createdAt: '2026-01-01T00:00:00Z' }, { version: 1, key: randomBytes(32).toString('base64'), createdAt: '2026-01-01T00:00:00Z' }]), /unique/],
    ];
    for (const [configured, message] of rows) {
      let caught: unknown;
      try {
        parseConfiguredMasterKeys(configured);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PrivacyError);
      expect((caught as PrivacyError).code).toBe('PRIVACY_MASTER_KEYS_INVALID');
      expect((caught as PrivacyError).message).toMatch(message);
    }
    await expect(addMasterKeyVersion(MasterKeyRing.of(parseConfiguredMasterKeys(json([{ version: 1, key: randomBytes(32).toString('base64'), createdAt: '2026-01-01T00:00:00Z' }])), { kind: 'configured' }), new Date())).rejects.toMatchObject({
      code: 'PRIVACY_ROTATION_NEEDS_CONFIG',
    });
  });
});
