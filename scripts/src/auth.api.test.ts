import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import pg from 'pg';
import pino from 'pino';
import request from 'supertest';
import {
  createIdentityModule,
  DEMO_USERS,
  ensureDemoUsers,
  JWT_AUDIENCE,
  loadSigningKey,
  TokenService,
  type IdentityModule,
  type SigningKey,
} from '@neuroerp/command-api';
import { PostgresEventStore } from '@neuroerp/infra';
import { createServerApp } from './server';

// The machine's PostgreSQL in a schema of its own, dropped afterwards.
const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_auth_${randomUUID().slice(0, 8)}`;
const silent = pino({ level: 'silent' });
// Production cost takes ~0.2 s per hash on this machine; the format and code path are the same.
const scryptCost = { N: 2 ** 10, r: 8, p: 1 };
const ALLOWED_ORIGIN = 'https://erp.example.com';
const password = (role: string) => DEMO_USERS.find((demo) => demo.role === role)?.password ?? '';

let store: PostgresEventStore;
let keysDir: string;
let signingKey: SigningKey;
let identity: IdentityModule;
let app: ReturnType<typeof createServerApp>;
let clockOffsetMs = 0;

beforeAll(async () => {
  store = await PostgresEventStore.connect({ connectionString, schema });
  keysDir = mkdtempSync(path.join(tmpdir(), 'neuroerp-keys-'));
  ({ key: signingKey } = await loadSigningKey({ keysDir }));
  identity = createIdentityModule({
    eventStore: store,
    signingKey,
    scryptCost,
    clock: () => new Date(Date.now() + clockOffsetMs),
    // Generous limits: this suite tests the routes; the limits are tested with tiny ones below.
    rateLimits: { routeLimits: { auth: 10_000, users: 10_000 }, roleLimits: { admin: 10_000, guest: 10_000, auditor: 10_000 }, login: { failuresPerAccountMax: 1000, failuresPerIpMax: 1000 } },
  });
  app = createServerApp({ eventStore: store, logger: silent, version: '0.0.0-test', identity, security: { corsOrigins: [ALLOWED_ORIGIN] } });
  expect(await ensureDemoUsers(identity.service)).toEqual(['admin', 'accountant', 'approver', 'auditor', 'user', 'guest']);
});

afterAll(async () => {
  await store?.close();
  rmSync(keysDir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
});

afterEach(() => {
  clockOffsetMs = 0;
});

function expectProblem(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(typeof response.body.detail).toBe('string');
}

async function login(username: string, secret = password(username)) {
  const response = await request(app).post('/api/auth/login').send({ username, password: secret });
  expect(response.status).toBe(200);
  return response.body as { accessToken: string; refreshToken: string; user: { userId: string; role: string } };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function streamTypes(streamId: string): Promise<string[]> {
  return (await store.readStream(streamId, { maxCount: 100 })).map((event) => event.type);
}

describe('register → login → verify → refresh → reuse → logout', () => {
  it('runs the whole session life cycle and revokes the family on reuse', async () => {
    const registered = await request(app).post('/api/auth/register').send({ username: ' Carla.M ', password: 'correct horse 42' });
    expect(registered.status).toBe(201);
    expect(registered.body.user).toMatchObject({ username: 'carla.m', role: 'guest' });
    expect(registered.headers.location).toBe(`/api/users/${registered.body.user.userId}`);

    const first = await login('CARLA.M', 'correct horse 42');
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, refreshExpiresIn: 604_800, user: { username: 'carla.m', role: 'guest' } });

    const verified = await request(app).get('/api/auth/verify').set(bearer(first.accessToken));
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ active: true, userId: registered.body.user.userId, role: 'guest', permissions: ['finance:read', 'documents:read', 'workflows:read'] });

    const refreshed = await request(app).post('/api/auth/refresh').send({ refreshToken: first.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).not.toBe(first.refreshToken);
    expect((await request(app).get('/api/auth/verify').set(bearer(refreshed.body.accessToken))).status).toBe(200);

    // The old token again: stolen or replayed. The whole family dies, the fresh token too.
    expectProblem(await request(app).post('/api/auth/refresh').send({ refreshToken: first.refreshToken }), 401, 'REFRESH_TOKEN_REUSED');
    expectProblem(await request(app).post('/api/auth/refresh').send({ refreshToken: refreshed.body.refreshToken }), 401, 'REFRESH_TOKEN_REVOKED');
    const familyId = first.refreshToken.slice(0, 36);
    expect(await streamTypes(`identity.refresh_family-${familyId}`)).toEqual(['identity.user_logged_in', 'identity.refresh_token_rotated', 'identity.refresh_family_revoked']);

    const second = await login('carla.m', 'correct horse 42');
    expect((await request(app).post('/api/auth/logout').send({ refreshToken: second.refreshToken })).status).toBe(204);
    expect((await request(app).post('/api/auth/logout').send({ refreshToken: second.refreshToken })).status).toBe(204);
    expectProblem(await request(app).post('/api/auth/refresh').send({ refreshToken: second.refreshToken }), 401, 'REFRESH_TOKEN_REVOKED');
    expect(await streamTypes(`identity.refresh_family-${second.refreshToken.slice(0, 36)}`)).toEqual(['identity.user_logged_in', 'identity.user_logged_out']);

    // Neither passwords nor raw tokens are ever written to the log.
    const log = JSON.stringify(await store.readAll({ fromPosition: 'start', maxCount: 10_000 }), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    for (const secret of ['correct horse 42', first.refreshToken, refreshed.body.refreshToken, second.refreshToken, password('admin')]) expect(log).not.toContain(secret);
    expect(log).toContain('scrypt$1024$8$1$');
  });

  it('ignores a stale access token sent along to the public auth routes', async () => {
    const past = new TokenService({ key: signingKey, issuer: 'neuroerp', accessTokenTtlSeconds: 3600, clock: () => new Date(Date.now() - 2 * 3600 * 1000) });
    const stale = await past.issueAccessToken({ userId: randomUUID(), role: 'user', sessionId: randomUUID() });
    const response = await request(app).post('/api/auth/login').set(bearer(stale.token)).send({ username: 'user', password: password('user') });
    expect(response.status).toBe(200);
  });

  it('of two refreshes racing with the same token exactly one wins; the other is a reuse', async () => {
    const session = await login('user');
    const answers = await Promise.all([0, 1].map(() => request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    expect(answers.find((answer) => answer.status === 401)?.body.code).toBe('REFRESH_TOKEN_REUSED');
  });

  it('of five registrations racing for one user name exactly one wins', async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => request(app).post('/api/auth/register').send({ username: 'racer', password: `racing password ${n}` })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409]);
    expect(answers.filter((answer) => answer.status === 409).every((answer) => answer.body.code === 'USERNAME_TAKEN')).toBe(true);
  });

  it('an expired refresh token records identity.token_expired once and answers REFRESH_TOKEN_EXPIRED', async () => {
    const session = await login('approver');
    clockOffsetMs = 8 * 24 * 3600 * 1000;
    expectProblem(await request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken }), 401, 'REFRESH_TOKEN_EXPIRED');
    expectProblem(await request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken }), 401, 'REFRESH_TOKEN_EXPIRED');
    expect(await streamTypes(`identity.refresh_family-${session.refreshToken.slice(0, 36)}`)).toEqual(['identity.user_logged_in', 'identity.token_expired']);
  });

  it('the sessions of a deleted user end at their next refresh, and the user cannot log in', async () => {
    const admin = await login('admin');
    const created = await request(app).post('/api/users').set(bearer(admin.accessToken)).send({ username: 'temp', password: 'temporary pass 1', role: 'user' });
    expect(created.status).toBe(201);
    const session = await login('temp', 'temporary pass 1');
    expect((await request(app).delete(`/api/users/${created.body.user.userId}`).set(bearer(admin.accessToken))).status).toBe(204);
    expectProblem(await request(app).post('/api/auth/refresh').send({ refreshToken: session.refreshToken }), 401, 'REFRESH_TOKEN_REVOKED');
    expectProblem(await request(app).post('/api/auth/login').send({ username: 'temp', password: 'temporary pass 1' }), 401, 'INVALID_CREDENTIALS');
  });
});

describe('JWKS', () => {
  it('publishes the public key that verifies issued access tokens', async () => {
    const response = await request(app).get('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.body.keys).toHaveLength(1);
    expect(response.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: signingKey.kid });
    expect(response.body.keys[0]).not.toHaveProperty('d');
    const { accessToken, user } = await login('auditor');
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(response.body), { issuer: 'neuroerp', audience: JWT_AUDIENCE });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: signingKey.kid, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.userId, role: 'auditor' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(typeof payload.jti).toBe('string');
  });

  it('keeps the generated key in DATA_DIR/keys with mode 0600 and loads the same key again', async () => {
    const file = path.join(keysDir, 'jwt-signing-key.pem');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await loadSigningKey({ keysDir });
    expect(again).toMatchObject({ source: 'loaded', key: { kid: signingKey.kid } });
  });
});

describe('users', () => {
  it('admins create, read, list, re-role and delete users; the log records each change', async () => {
    const admin = await login('admin');
    const created = await request(app).post('/api/users').set(bearer(admin.accessToken)).send({ username: 'dora', password: 'dora-password-1', role: 'accountant', displayName: 'Dora' });
    expect(created.status).toBe(201);
    const userId = created.body.user.userId as string;
    expect(created.body.user).toEqual({ userId, username: 'dora', displayName: 'Dora', role: 'accountant', createdAt: expect.any(String) });

    const auditor = await login('auditor');
    const got = await request(app).get(`/api/users/${userId}`).set(bearer(auditor.accessToken));
    expect(got.status).toBe(200);
    expect(got.body.user).not.toHaveProperty('passwordHash');
    const list = await request(app).get('/api/users?limit=200').set(bearer(auditor.accessToken));
    expect(list.status).toBe(200);
    expect(list.body.items.map((item: { username: string }) => item.username)).toEqual(expect.arrayContaining(['admin', 'guest', 'dora']));

    const changed = await request(app).put(`/api/users/${userId}/role`).set(bearer(admin.accessToken)).send({ role: 'approver' });
    expect(changed.status).toBe(200);
    expect(changed.body.user.role).toBe('approver');
    // The next login carries the new role.
    expect((await login('dora', 'dora-password-1')).user.role).toBe('approver');

    expect((await request(app).delete(`/api/users/${userId}`).set(bearer(admin.accessToken))).status).toBe(204);
    expectProblem(await request(app).get(`/api/users/${userId}`).set(bearer(admin.accessToken)), 404, 'USER_NOT_FOUND');
    expect(await streamTypes(`identity.user-${userId}`)).toEqual(['identity.user_created', 'identity.user_role_changed', 'identity.user_deleted']);
    const after = await request(app).get('/api/users?limit=200').set(bearer(admin.accessToken));
    expect(after.body.items.map((item: { username: string }) => item.username)).not.toContain('dora');
  });
});

describe('bad input: every row a 4xx with its code', () => {
  let tokens: Record<'admin' | 'guest' | 'auditor', string>;
  let adminId: string;
  let foreignToken: string;
  let expiredToken: string;
  let wrongIssuerToken: string;

  beforeAll(async () => {
    const admin = await login('admin');
    adminId = admin.user.userId;
    tokens = { admin: admin.accessToken, guest: (await login('guest')).accessToken, auditor: (await login('auditor')).accessToken };
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
    foreignToken = await new SignJWT({ role: 'admin', sid: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: signingKey.kid, typ: 'at+jwt' })
      .setIssuer('neuroerp')
      .setAudience(JWT_AUDIENCE)
      .setSubject(adminId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(foreign.privateKey);
    const past = new TokenService({ key: signingKey, issuer: 'neuroerp', accessTokenTtlSeconds: 3600, clock: () => new Date(Date.now() - 2 * 3600 * 1000) });
    expiredToken = (await past.issueAccessToken({ userId: adminId, role: 'admin', sessionId: randomUUID() })).token;
    const otherIssuer = new TokenService({ key: signingKey, issuer: 'somebody-else', accessTokenTtlSeconds: 3600 });
    wrongIssuerToken = (await otherIssuer.issueAccessToken({ userId: adminId, role: 'admin', sessionId: randomUUID() })).token;
  });

  const json = (method: 'post' | 'put', url: string, body: unknown, headers: Record<string, string> = {}) => () =>
    request(app)[method](url).set(headers).send(body as object);
  const raw = (url: string, body: string, contentType: string) => () => request(app).post(url).set('Content-Type', contentType).send(body);
  const get = (url: string, headers: () => Record<string, string> = () => ({})) => () => request(app).get(url).set(headers());
  const as = (who: 'admin' | 'guest' | 'auditor') => () => bearer(tokens[who]);

  it.each<[string, () => request.Test, number, string]>([
    ['malformed JSON', raw('/api/auth/login', '{"username": ', 'application/json'), 400, 'MALFORMED_JSON'],
    ['a text/plain body', raw('/api/auth/login', 'username=admin', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a form body', raw('/api/auth/register', 'username=x&password=y', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['wrong types', json('post', '/api/auth/login', { username: 5, password: true }), 400, 'VALIDATION_FAILED'],
    ['missing fields', json('post', '/api/auth/register', {}), 400, 'VALIDATION_FAILED'],
    ['an unknown member', json('post', '/api/auth/login', { username: 'admin', password: 'x', remember: true }), 400, 'VALIDATION_FAILED'],
    ['a JSON array body', json('post', '/api/auth/login', ['admin']), 400, 'VALIDATION_FAILED'],
    ['a too short user name', json('post', '/api/auth/register', { username: 'ab', password: 'long enough pass 1' }), 400, 'VALIDATION_FAILED'],
    ['a user name with spaces inside', json('post', '/api/auth/register', { username: 'a b c', password: 'long enough pass 1' }), 400, 'VALIDATION_FAILED'],
    ['a weak password (short)', json('post', '/api/auth/register', { username: 'weakling', password: 'short1' }), 400, 'WEAK_PASSWORD'],
    ['a weak password (letters only)', json('post', '/api/auth/register', { username: 'weakling', password: 'onlylettershere' }), 400, 'WEAK_PASSWORD'],
    ['an overlong password', json('post', '/api/auth/register', { username: 'weakling', password: 'x1'.repeat(100) }), 400, 'VALIDATION_FAILED'],
    ['a taken user name', json('post', '/api/auth/register', { username: 'Admin', password: 'another pass 12' }), 409, 'USERNAME_TAKEN'],
    ['an unknown user', json('post', '/api/auth/login', { username: 'nobody', password: 'whatever pass 1' }), 401, 'INVALID_CREDENTIALS'],
    ['a wrong password', json('post', '/api/auth/login', { username: 'admin', password: 'wrong password 1' }), 401, 'INVALID_CREDENTIALS'],
    ['a malformed refresh token', json('post', '/api/auth/refresh', { refreshToken: 'abc' }), 401, 'REFRESH_TOKEN_INVALID'],
    ['an unknown refresh token', json('post', '/api/auth/refresh', { refreshToken: `${randomUUID()}.${'A'.repeat(43)}` }), 401, 'REFRESH_TOKEN_INVALID'],
    ['a refresh without a token', json('post', '/api/auth/refresh', {}), 400, 'VALIDATION_FAILED'],
    ['a logout with an unknown token', json('post', '/api/auth/logout', { refreshToken: `${randomUUID()}.${'B'.repeat(43)}` }), 401, 'REFRESH_TOKEN_INVALID'],
    ['a missing token', get('/api/auth/verify'), 401, 'UNAUTHENTICATED'],
    ['a missing token on a users route', get('/api/users'), 401, 'UNAUTHENTICATED'],
    ['a non-Bearer Authorization header', get('/api/auth/verify', () => ({ Authorization: 'Basic YWRtaW46eA==' })), 401, 'TOKEN_INVALID'],
    ['a garbage token', get('/api/auth/verify', () => bearer('not.a.jwt')), 401, 'TOKEN_INVALID'],
    ['an expired token', get('/api/auth/verify', () => bearer(expiredToken)), 401, 'TOKEN_EXPIRED'],
    ['a token signed by a foreign key', get('/api/users', () => bearer(foreignToken)), 401, 'TOKEN_INVALID'],
    ['a token of another issuer', get('/api/users', () => bearer(wrongIssuerToken)), 401, 'TOKEN_INVALID'],
    ['a guest listing users (users:read)', get('/api/users', as('guest')), 403, 'FORBIDDEN'],
    ['a guest creating a user (users:manage)', () => request(app).post('/api/users').set(bearer(tokens.guest)).send({ username: 'eve', password: 'eve password 12', role: 'admin' }), 403, 'FORBIDDEN'],
    ['an auditor changing a role (users:manage)', () => request(app).put(`/api/users/${adminId}/role`).set(bearer(tokens.auditor)).send({ role: 'guest' }), 403, 'FORBIDDEN'],
    ['an auditor deleting a user (users:manage)', () => request(app).delete(`/api/users/${adminId}`).set(bearer(tokens.auditor)), 403, 'FORBIDDEN'],
    ['an unknown role', () => request(app).put(`/api/users/${adminId}/role`).set(bearer(tokens.admin)).send({ role: 'superuser' }), 400, 'VALIDATION_FAILED'],
    ['an admin changing their own role', () => request(app).put(`/api/users/${adminId}/role`).set(bearer(tokens.admin)).send({ role: 'guest' }), 409, 'CANNOT_CHANGE_OWN_ROLE'],
    ['an admin deleting themselves', () => request(app).delete(`/api/users/${adminId}`).set(bearer(tokens.admin)), 409, 'CANNOT_DELETE_SELF'],
    ['a user id that is no UUID', get('/api/users/not-a-uuid', as('admin')), 404, 'USER_NOT_FOUND'],
    ['an unknown user id', get(`/api/users/${randomUUID()}`, as('admin')), 404, 'USER_NOT_FOUND'],
    ['deleting an unknown user', () => request(app).delete(`/api/users/${randomUUID()}`).set(bearer(tokens.admin)), 404, 'USER_NOT_FOUND'],
    ['a page size above the maximum', get('/api/users?limit=100000', as('admin')), 400, 'VALIDATION_FAILED'],
    ['an unknown query parameter', get('/api/users?sort=name', as('admin')), 400, 'VALIDATION_FAILED'],
  ])('%s', async (_case, send, status, code) => {
    expectProblem(await send(), status, code);
  });
});

describe('security headers, CORS', () => {
  it('sets helmet headers on every answer', async () => {
    const response = await request(app).get('/health');
    expect(response.headers).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(response.headers).not.toHaveProperty('x-powered-by');
  });

  it('answers CORS for configured origins only', async () => {
    const allowed = await request(app).options('/api/auth/login').set('Origin', ALLOWED_ORIGIN).set('Access-Control-Request-Method', 'POST');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers['access-control-allow-headers']).toContain('Authorization');
    const other = await request(app).get('/health').set('Origin', 'https://evil.example');
    expect(other.headers).not.toHaveProperty('access-control-allow-origin');
  });
});

describe('rate limits', () => {
  let limited: ReturnType<typeof createServerApp>;

  beforeAll(() => {
    const tiny = createIdentityModule({
      eventStore: store,
      signingKey,
      scryptCost,
      rateLimits: { routeLimits: { auth: 4 }, roleLimits: { guest: 2 }, login: { failuresPerAccountMax: 2 } },
    });
    limited = createServerApp({ eventStore: store, logger: silent, version: '0.0.0-test', identity: tiny });
  });

  it('per route: the fifth auth request in a minute gets 429 RATE_LIMITED with Retry-After', async () => {
    // Two wrong passwords (the account throttle allows two failures), then the third is throttled per account.
    const wrong = () => request(limited).post('/api/auth/login').send({ username: 'approver', password: 'wrong password 1' });
    expectProblem(await wrong(), 401, 'INVALID_CREDENTIALS');
    expectProblem(await wrong(), 401, 'INVALID_CREDENTIALS');
    const throttled = await wrong();
    expectProblem(throttled, 429, 'LOGIN_THROTTLED');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(60);
    expect((await request(limited).get('/.well-known/jwks.json')).status).toBe(200);
    const response = await request(limited).get('/.well-known/jwks.json');
    expectProblem(response, 429, 'RATE_LIMITED');
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(response.body).toMatchObject({ limit: 4, windowSeconds: 60 });
  });

  it('per role: a guest gets 429 RATE_LIMITED after their role limit', async () => {
    const { accessToken } = await login('guest');
    const verify = () => request(limited).get('/api/users').set(bearer(accessToken));
    expectProblem(await verify(), 403, 'FORBIDDEN');
    expectProblem(await verify(), 403, 'FORBIDDEN');
    const response = await verify();
    expectProblem(response, 429, 'RATE_LIMITED');
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
