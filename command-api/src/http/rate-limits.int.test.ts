import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { createRateLimiters, createRedisClient, routeGroupOf } from './rate-limits';

// The machine's Redis, as for `npm test`; a key prefix of its own, deleted afterwards.
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const keyPrefix = `test:rl:${randomUUID()}:`;
let redis: Redis;

beforeAll(() => {
  redis = createRedisClient(redisUrl);
});

afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** One "server instance": its own limiters and express app, counters in the shared Redis. */
function instance() {
  const limits = createRateLimiters({ redis, keyPrefix, routeLimits: { auth: 3 } });
  const app = express();
  app.use(limits.perRoute);
  app.get('/api/auth/ping', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

describe('Redis-backed rate limits', () => {
  it('count in Redis, so that every instance sees the same counter', async () => {
    const [first, second] = [instance(), instance()];
    expect((await request(first).get('/api/auth/ping')).status).toBe(200);
    expect((await request(second).get('/api/auth/ping')).status).toBe(200);
    expect((await request(first).get('/api/auth/ping')).status).toBe(200);
    const limited = await request(second).get('/api/auth/ping');
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', status: 429, limit: 3 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const keys = await redis.keys(`${keyPrefix}route:auth:*`);
    expect(keys).toHaveLength(1);
    expect(Number(await redis.get(keys[0]!))).toBe(4);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
  });
});

describe('route groups', () => {
  it.each([
    ['/api/auth/login', 'auth'],
    ['/.well-known/jwks.json', 'auth'],
    ['/api/users/1', 'users'],
    ['/api/documents', 'documents'],
    ['/api/ledger/transactions', 'finance'],
    ['/api/authors', null],
    ['/health', null],
  ])('%s belongs to %s', (path, group) => {
    expect(routeGroupOf(path)).toBe(group);
  });
});
