import { randomBytes } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import type { RequestHandler } from 'express';
import { dropSchemasWithPrefix, PostgresEventStore } from '@neuroerp/infra';
import { createServerApp } from './server';
import { createProjectionsRouter, ProjectionService } from './projections';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_projapi_${randomBytes(4).toString('hex')}`;
const silent = pino({ level: 'silent' });

/** X-Test-Role sets the actor, as the ledger API tests do; no header: anonymous. */
const testAuthenticate: RequestHandler = (req, res, next) => {
  const role = req.header('X-Test-Role');
  if (role !== undefined) res.locals.actor = { userId: 'tester', role };
  next();
};

function posting(voucherNumber: number) {
  const amountMinor = String(100 * voucherNumber);
  const line = (accountNumber: string, side: 'debit' | 'credit') => ({ accountNumber, side, amountMinor, currency: 'EUR', fxRate: null, dimensions: {}, text: null, companyAmountMinor: amountMinor, kind: 'entry' });
  return {
    eventId: `00000000-0000-4000-8000-${String(voucherNumber).padStart(12, '0')}`,
    type: 'ledger.transaction_posted',
    schemaVersion: 1,
    data: {
      companyId: 'api', fiscalYear: 2026, period: 1, voucherNumber, transactionId: `tx-${voucherNumber}`, type: 'journal', documentDate: '2026-01-05', postingDate: '2026-01-05',
      companyCurrency: 'EUR', description: null, linkedDocumentIds: [], lines: [line('1200', 'debit'), line('8400', 'credit')], postedBy: 'tester', postedAt: '2026-01-05T10:00:00.000Z',
      approvedBy: null, reversesTransactionId: null, reason: null, postedUnderException: false,
    },
    metadata: { actor: { userId: 'tester', role: 'accountant' }, correlationId: `c-${voucherNumber}`, causationId: null, occurredAt: '2026-01-05T10:00:00.000Z', requestId: null },
  };
}

describe('GET /api/projections with continuous runners', () => {
  let store: PostgresEventStore;
  let service: ProjectionService;
  let app: ReturnType<typeof createServerApp>;

  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 100 });
    await store.appendToStream('ledger.fiscal_year-api-2026', [posting(1), posting(2)], { expectedVersion: 'no_stream' });
    // Only ledger events here: a read model holding personal data never gets to reveal anything.
    const reveal = async (): Promise<never> => {
      throw new Error('this test appends no personal data');
    };
    service = await ProjectionService.open({ connectionString, eventStoreSchema: schema, store, reveal, logger: silent });
    service.startRunners();
    app = createServerApp({ eventStore: store, logger: silent, version: '0.0.0-test', authenticate: testAuthenticate, projections: { router: createProjectionsRouter(service), metrics: service.metrics.registry } });
  });
  afterAll(async () => {
    await service.close();
    await store.close();
    await dropSchemasWithPrefix(schema, connectionString);
  });

  it('reports every projection caught up with the store, and exposes the lag gauges on /metrics', async () => {
    await store.appendToStream('ledger.fiscal_year-api-2026', [posting(3)], { expectedVersion: 1 });
    const deadline = Date.now() + 10_000;
    let body: { projections: { name: string; position: string | null; lagEvents: string | null; state: string; deadLetters: number }[] } = { projections: [] };
    while (Date.now() < deadline) {
      const response = await request(app).get('/api/projections').set('X-Test-Role', 'auditor').expect(200);
      body = response.body;
      if (body.projections.every((item) => item.position === '3')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(body.projections.map((item) => [item.name, item.position, item.lagEvents, item.state, item.deadLetters])).toEqual([
      ['account_balances', '3', '0', 'running', 0],
      ['general_ledger', '3', '0', 'running', 0],
      ['audit_log', '3', '0', 'running', 0],
      ['chart_of_accounts', '3', '0', 'running', 0],
      ['transactions', '3', '0', 'running', 0],
      ['documents', '3', '0', 'running', 0],
      ['users', '3', '0', 'running', 0],
      ['search', '3', '0', 'running', 0],
      ['workflows', '3', '0', 'running', 0],
    ]);
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toContain('projection_lag_events{projection="general_ledger"} 0');
    expect(metrics.text).toContain('projection_dead_letters_total');
  });

  it('answers an anonymous caller with 401 UNAUTHENTICATED (every role has finance:read)', async () => {
    const response = await request(app).get('/api/projections').expect(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });

  it('an admin starts a rebuild over HTTP and polls it to completion; it then shows in the status', async () => {
    const started = await request(app).post('/api/projections/general_ledger/rebuild').set('X-Test-Role', 'admin').send({}).expect(202);
    expect(started.headers.location).toBe('/api/projections/general_ledger/rebuild');
    expect(started.body).toMatchObject({ name: 'general_ledger', state: 'running' });
    let progress = started.body as { state: string; position: string; head: string; switched: boolean | null };
    const deadline = Date.now() + 20_000;
    while (progress.state === 'running' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      progress = (await request(app).get('/api/projections/general_ledger/rebuild').set('X-Test-Role', 'guest').expect(200)).body;
    }
    expect(progress).toMatchObject({ state: 'succeeded', switched: true });
    expect(BigInt(progress.position)).toBeGreaterThanOrEqual(2n);
    const status = (await request(app).get('/api/projections').set('X-Test-Role', 'auditor').expect(200)).body as { projections: { name: string; active: { build: number }; rebuild: unknown }[] };
    expect(status.projections.find((item) => item.name === 'general_ledger')).toMatchObject({ active: { build: 2 }, rebuild: { state: 'succeeded' } });
  });

  it.each([
    ['a guest starting a rebuild', 'post', '/api/projections/general_ledger/rebuild', 'guest', 403, 'FORBIDDEN'],
    ['an unknown projection', 'post', '/api/projections/nope/rebuild', 'admin', 404, 'PROJECTION_NOT_FOUND'],
    ['the progress of a rebuild never started', 'get', '/api/projections/users/rebuild', 'admin', 404, 'REBUILD_NOT_FOUND'],
  ] as const)('%s answers a 4xx with its code', async (_case, method, url, role, status, code) => {
    const response = await request(app)[method](url).set('X-Test-Role', role).send(method === 'post' ? {} : undefined).expect(status);
    expect(response.body.code).toBe(code);
  });

  it('documents /api/projections in the OpenAPI document', async () => {
    const response = await request(app).get('/api/openapi.json').expect(200);
    expect(response.body.paths['/api/projections'].get.operationId).toBe('getProjectionStatus');
  });
});
