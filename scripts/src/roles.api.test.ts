import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { DEMO_USERS } from '@neuroerp/command-api';
import { composeApplication, type Application, type ServerRole } from './composition';
import { parseServerConfig } from './config';
import { dropSchemasWithPrefix } from '@neuroerp/infra';

/**
 * The production profile's deployables (`neuroerp start --role`): three processes' worth of
 * composition on one database. A command through the command API is projected by the
 * projection worker and read through the query API; each serves only its own routes.
 */
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_roles_${randomBytes(4).toString('hex')}`;
let dataDir: string;
const releases: (() => Promise<void>)[] = [];
const apps = {} as Record<Exclude<ServerRole, 'all'>, Application>;

async function compose(role: ServerRole): Promise<Application> {
  const config = parseServerConfig({ DATABASE_URL: connectionString, EVENT_STORE_SCHEMA: schema, DATA_DIR: dataDir, DEMO_USERS: 'true', LOG_LEVEL: 'silent' });
  return composeApplication({
    config,
    connectionString,
    logger: pino({ level: 'silent' }),
    version: '0.0.0-test',
    onShutdown: (_name, release) => void releases.unshift(release),
    seedDemoDataIfEmpty: false,
    role,
    identityOverrides: { scryptCost: { N: 2 ** 10, r: 8, p: 1 } },
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'neuroerp-roles-'));
  apps['command-api'] = await compose('command-api');
  apps['projections'] = await compose('projections');
  apps['query-api'] = await compose('query-api');
}, 60_000);

afterAll(async () => {
  for (const release of releases) await release();
  rmSync(dataDir, { recursive: true, force: true });
  await dropSchemasWithPrefix(schema, connectionString);
});

async function token(app: Application, role: string): Promise<string> {
  const password = DEMO_USERS.find((demo) => demo.role === role)?.password ?? '';
  const response = await request(app.app).post('/api/auth/login').send({ username: role, password }).expect(200);
  return (response.body as { accessToken: string }).accessToken;
}

it('each deployable serves its own routes only', async () => {
  const admin = await token(apps['command-api'], 'admin');
  const auth = { Authorization: `Bearer ${admin}` };
  expect((await request(apps['query-api'].app).post('/api/finance/accounts').set(auth).send({})).status).toBe(404);
  expect((await request(apps['command-api'].app).get('/api/query/dashboard').set(auth)).status).toBe(404);
  expect((await request(apps['projections'].app).get('/api/query/dashboard').set(auth)).status).toBe(404);
  expect((await request(apps['projections'].app).get('/api/projections').set(auth)).status).toBe(200);
  for (const app of Object.values(apps)) expect((await request(app.app).get('/ready')).status).toBe(200);
});

it('of two command-API replicas exactly one runs the process managers', async () => {
  const replica = await compose('command-api');
  const leaders = [apps['command-api'], replica].filter((app) => app.processManagers.runtime !== null);
  expect(leaders).toHaveLength(1);
  expect(apps['query-api'].processManagers.runtime).toBeNull();
});

it('a command through the command API is projected by the worker and read through the query API', async () => {
  const admin = await token(apps['command-api'], 'admin');
  const auth = { Authorization: `Bearer ${admin}` };
  const opened = await request(apps['command-api'].app)
    .post('/api/finance/accounts')
    .set(auth)
    .set('Idempotency-Key', randomUUID())
    .send({ companyId: 'roles-gmbh', accountNumber: '1200', name: 'Bank', type: 'asset', normalBalance: 'debit', currency: 'EUR', requiredDimensions: [] });
  expect(opened.status).toBe(201);
  const position = String((opened.body as { position: string }).position);
  // The token issued by the command API's process is accepted by the query API's (same signing key).
  const answer = await request(apps['query-api'].app).get(`/api/query/accounts?companyId=roles-gmbh&after=${position}`).set(auth);
  expect(answer.status).toBe(200);
  expect((answer.body as { items: { accountNumber: string; name: string | null }[] }).items).toContainEqual(expect.objectContaining({ accountNumber: '1200', name: 'Bank' }));
});
