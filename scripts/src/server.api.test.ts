import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import request from 'supertest';
import { PostgresEventStore } from '@neuroerp/infra';
import { closeServer, createServerApp, KEEP_ALIVE_TIMEOUT_MS, listen, REQUEST_BODY_BYTES_MAX } from './server';

// The machine's PostgreSQL, as for the event store's integration tests.
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_api_${randomBytes(4).toString('hex')}`;
const silent = pino({ level: 'silent' });

let store: PostgresEventStore;
let app: ReturnType<typeof createServerApp>;

beforeAll(async () => {
  store = await PostgresEventStore.connect({ connectionString, schema });
  app = createServerApp({ eventStore: store, logger: silent, version: '0.0.0-test' });
});

afterAll(async () => {
  await store?.close();
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
});

function expectProblem(response: request.Response, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ type: 'about:blank', status, code });
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
  expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /);
}

describe('operational routes', () => {
  it('GET /health answers 200 {status: ok}', async () => {
    const response = await request(app).get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('keeps idle connections longer than the proxies in front do (Keep-Alive: timeout=65)', async () => {
    const server = await listen(app, 0);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/health', agent }, resolve).on('error', reject);
      });
      response.resume();
      expect(response.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
      expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    } finally {
      agent.destroy();
      await closeServer(server);
    }
  });

  it('GET /ready answers 200 when the event store answers', async () => {
    const response = await request(app).get('/ready');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ready' });
  });

  it.each([
    ['rejects', () => Promise.reject(new Error('connection refused'))],
    ['never answers', () => new Promise<void>(() => undefined)],
  ])('GET /ready answers 503 problem+json with Retry-After when the store ping %s', async (_case, ping) => {
    const notReady = createServerApp({ eventStore: { ping }, logger: silent, version: '0.0.0-test', readyTimeoutMs: 200 });
    const response = await request(notReady).get('/ready');
    expectProblem(response, 503, 'NOT_READY');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    // The cause goes to the log, not to the client.
    expect(response.text).not.toContain('connection refused');
  });

  it('GET /metrics exposes default process metrics and the request duration histogram', async () => {
    await request(app).get('/health');
    const response = await request(app).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain('process_cpu_user_seconds_total');
    expect(response.text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} [1-9]/m);
  });

  it('GET /api/docs is an OpenAPI 3.1 document of exactly the routes that answer', async () => {
    const response = await request(app).get('/api/docs');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    expect(response.body.info).toMatchObject({ title: expect.any(String), version: '0.0.0-test' });
    const paths = Object.keys(response.body.paths);
    expect(paths.sort()).toEqual(['/api/docs', '/api/openapi.json', '/health', '/metrics', '/ready']);
    for (const path of paths) {
      for (const [method, operation] of Object.entries<{ operationId: string; responses: Record<string, unknown> }>(response.body.paths[path])) {
        expect(typeof operation.operationId).toBe('string');
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        const answer = await request(app)[method as 'get'](path);
        expect(Object.keys(operation.responses)).toContain(String(answer.status));
      }
    }
    // Every $ref resolves inside the document.
    const refs = [...JSON.stringify(response.body).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((match) => match[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(response.body.components.schemas).toHaveProperty([name]);
  });
});

describe('errors are RFC 7807 problem+json with a stable code', () => {
  it('an unknown route answers 404 NOT_FOUND', async () => {
    const response = await request(app).get('/no/such/route');
    expectProblem(response, 404, 'NOT_FOUND');
    expect(response.body.instance).toBe('/no/such/route');
  });

  it('a malformed JSON body answers 400 MALFORMED_JSON', async () => {
    const response = await request(app).post('/health').set('Content-Type', 'application/json').send('{"amountMinor": ');
    expectProblem(response, 400, 'MALFORMED_JSON');
  });

  it('a body larger than REQUEST_BODY_BYTES_MAX answers 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(REQUEST_BODY_BYTES_MAX) });
    const response = await request(app).post('/health').set('Content-Type', 'application/json').send(body);
    expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(response.body.limitBytes).toBe(REQUEST_BODY_BYTES_MAX);
  });

  it('an unexpected error answers 500 INTERNAL without its message or stack', async () => {
    const failing = createServerApp({
      eventStore: {
        ping: () => {
          throw new Error('secret internals at /srv/app.js:1');
        },
      },
      logger: silent,
      version: '0.0.0-test',
    });
    const response = await request(failing).get('/ready');
    expectProblem(response, 500, 'INTERNAL');
    expect(response.text).not.toContain('secret internals');
  });

  it('echoes a well-formed X-Request-Id and invents one otherwise', async () => {
    const echoed = await request(app).get('/health').set('X-Request-Id', 'req-42');
    expect(echoed.headers['x-request-id']).toBe('req-42');
    const invented = await request(app).get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(invented.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
