import { randomUUID, generateKeyPairSync } from 'node:crypto';
import express from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { PostgresEventStore, PostgresIdempotencyStore, sealKeysFromDocument, verifySealSignature } from '@neuroerp/infra';
import type { ledger as wire } from '@neuroerp/schemas';
import { problem } from '../app';
import { HttpProblemError, problemErrorHandler } from '../http/errors';
import { LedgerCommands } from './commands';
import { createLedgerCommandHandler } from './handler';
import { createInalterabilityReportRouter, INALTERABILITY_REPORT_PATH } from './inalterability-report';
import { createLedgerRouter } from './routes';
import { createSealKeysRouter, loadSealKey, SEAL_KEYS_PATH, sealVerificationKeys } from './seal-keys';
import { PeriodSealer } from './seals';
import { dropSchema, openCompany, testActorFromHeaders, testDatabaseUrl, twoLineDraft, uniqueSchema } from './test-support';

/** The routers of issue 9 as the server mounts them: seal keys (public), the report (audit:read) and the ledger with sealing on close. */
describe('period seals over HTTP', () => {
  const schema = uniqueSchema('seals_api');
  let store: PostgresEventStore;
  let idempotencyStore: PostgresIdempotencyStore;
  let app: express.Express;
  let commands: LedgerCommands;
  let kid: string;

  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
    idempotencyStore = await PostgresIdempotencyStore.connect({ connectionString: testDatabaseUrl(), schema });
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { key, source } = await loadSealKey({ privateKeyPem: pem.replace(/\n/g, '\\n'), keysDir: '/nonexistent' });
    expect(source).toBe('configured');
    kid = key.kid;
    const handler = createLedgerCommandHandler(store);
    commands = new LedgerCommands(handler, { sealer: new PeriodSealer({ handler, store, key, readHead: () => store.readHead() }) });
    app = express();
    app.use(pinoHttp({ logger: pino({ level: 'silent' }) }));
    app.use(express.json());
    app.use(createSealKeysRouter({ keys: [key] }));
    app.use(testActorFromHeaders);
    app.use(createInalterabilityReportRouter({ store, keys: sealVerificationKeys([key]), readHead: () => store.readHead() }));
    app.use(createLedgerRouter({ commands, idempotencyStore }));
    app.use((req, _res, next) => next(new HttpProblemError(problem(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}.`))));
    app.use(problemErrorHandler);

    await openCompany(commands, 'acme', 2025);
    await commands.draftTransaction({ actor: { userId: 'anna', role: 'accountant' }, correlationId: 'c', requestId: null }, twoLineDraft('jan-1', 'acme', '2025-01-10'), { submit: true });
    await commands.postTransaction({ actor: { userId: 'anna', role: 'accountant' }, correlationId: 'c', requestId: null }, 'jan-1', undefined);
  });
  afterAll(async () => {
    await idempotencyStore.close();
    await store.close();
    await dropSchema(schema);
  });

  it('publishes the seal key without authentication', async () => {
    const response = await request(app).get(SEAL_KEYS_PATH).expect(200);
    expect(response.body).toEqual({ keys: [{ kid, alg: 'Ed25519', publicKeyPem: expect.stringContaining('BEGIN PUBLIC KEY'), jwk: expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid }) }] });
    expect(sealKeysFromDocument(response.body).has(kid)).toBe(true);
  });

  it('POST .../periods/1/close seals the period with a signature the published key verifies', async () => {
    await request(app)
      .post('/api/finance/fiscal-years/2025/periods/1/close')
      .set('X-Test-User', 'anna')
      .set('X-Test-Role', 'accountant')
      .set('Idempotency-Key', randomUUID())
      .send({ companyId: 'acme' })
      .expect(200);
    const [sealed] = await store.readStream('ledger.seals-acme', { direction: 'forwards', maxCount: 10 });
    const seal = sealed?.data as wire.PeriodSealed;
    expect(seal).toMatchObject({ period: 1, kid, sealedBy: 'anna' });
    const published = sealKeysFromDocument((await request(app).get(SEAL_KEYS_PATH)).body);
    expect(verifySealSignature(seal.body, seal.signature, published.get(kid) as never)).toBe(true);
  });

  it.each([
    ['auditor', 200],
    ['admin', 200],
    ['accountant', 403],
    ['guest', 403],
  ])('GET the inalterability report as %s answers %i', async (role, status) => {
    const response = await request(app).get(INALTERABILITY_REPORT_PATH).set('X-Test-User', 'u').set('X-Test-Role', role).expect(status);
    if (status === 200) {
      expect(response.body.verification.ok).toBe(true);
      expect(response.body.seals).toEqual([expect.objectContaining({ period: 1, kid, signatureValid: true, merkleRootValid: true, chainHeadValid: true, asKnownAtMatches: true })]);
    } else expect(response.body.code).toBe('FORBIDDEN');
  });

  it('answers 401 without an actor and CSV with ?format=csv', async () => {
    await request(app).get(INALTERABILITY_REPORT_PATH).expect(401);
    const response = await request(app).get(`${INALTERABILITY_REPORT_PATH}?format=csv`).set('X-Test-User', 'u').set('X-Test-Role', 'auditor').expect(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = response.text.trim().split('\r\n');
    expect(lines[0]?.startsWith('record,company_id,year,period,')).toBe(true);
    expect(lines[1]).toMatch(/^verification,.*,ok,/);
    expect(lines.filter((line) => line.startsWith('seal,acme,2025,1,'))).toHaveLength(1);
  });
});
