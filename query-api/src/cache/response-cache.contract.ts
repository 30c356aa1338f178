import { randomUUID } from 'node:crypto';
import type { ResponseCache } from './response-cache';

/**
 * The contract every ResponseCache adapter runs (STYLE.md: one suite per port). `create`
 * returns a fresh, empty cache holding at least 3 entries.
 */
export function describeResponseCacheContract(name: string, create: () => Promise<{ cache: ResponseCache; dispose(): Promise<void> }>): void {
  describe(`ResponseCache contract: ${name}`, () => {
    let cache: ResponseCache;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ cache, dispose } = await create());
    });
    afterEach(async () => {
      await dispose();
    });

    it('misses an unknown key', async () => {
      expect(await cache.get(randomUUID())).toBeNull();
    });

    it('returns what was set, content type, body and file name unchanged', async () => {
      const key = randomUUID();
      const value = { contentType: 'text/csv; charset=utf-8', body: 'a,b\r\n"x, ""y""",ü\r\n', filename: 'ledger.csv' };
      await cache.set(key, value);
      expect(await cache.get(key)).toEqual(value);
    });

    it('replaces the value of a key set again; keys do not interfere', async () => {
      const [first, second] = [randomUUID(), randomUUID()];
      await cache.set(first, { contentType: 'application/json', body: '1' });
      await cache.set(second, { contentType: 'application/json', body: '2' });
      await cache.set(first, { contentType: 'application/json', body: '3' });
      expect((await cache.get(first))?.body).toBe('3');
      expect((await cache.get(second))?.body).toBe('2');
    });

    it('does not keep a body above CACHED_BODY_LENGTH_MAX', async () => {
      const key = randomUUID();
      await cache.set(key, { contentType: 'application/json', body: 'x'.repeat(1_000_001) });
      expect(await cache.get(key)).toBeNull();
    });
  });
}
