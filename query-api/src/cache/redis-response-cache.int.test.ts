import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { describeResponseCacheContract } from './response-cache.contract';
import { RedisResponseCache } from './response-cache';

/** The Redis server integration tests use: TEST_REDIS_URL, else the machine's local server. */
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describeResponseCacheContract('Redis (ioredis)', async () => {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const keyPrefix = `test:query:${randomBytes(4).toString('hex')}:`;
  return {
    cache: new RedisResponseCache(redis, { keyPrefix, ttlSeconds: 60 }),
    dispose: async () => {
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
});

describe('RedisResponseCache', () => {
  it('sets a time to live on every entry', async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keyPrefix = `test:query:${randomBytes(4).toString('hex')}:`;
    try {
      await new RedisResponseCache(redis, { keyPrefix, ttlSeconds: 30 }).set('k', { contentType: 'application/json', body: '{}' });
      const ttl = await redis.ttl(`${keyPrefix}k`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30);
    } finally {
      await redis.del(`${keyPrefix}k`);
      redis.disconnect();
    }
  });
});
