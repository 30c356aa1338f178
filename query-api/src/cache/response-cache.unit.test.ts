import { describeResponseCacheContract } from './response-cache.contract';
import { MemoryResponseCache } from './response-cache';

describeResponseCacheContract('memory LRU', async () => ({ cache: new MemoryResponseCache(3), dispose: async () => undefined }));

describe('MemoryResponseCache', () => {
  const entry = (body: string) => ({ contentType: 'application/json', body });

  it('evicts the least recently used entry beyond its size; a hit counts as a use', async () => {
    const cache = new MemoryResponseCache(2);
    await cache.set('a', entry('A'));
    await cache.set('b', entry('B'));
    expect(await cache.get('a')).toEqual(entry('A'));
    await cache.set('c', entry('C'));
    expect(await cache.get('b')).toBeNull();
    expect(await cache.get('a')).toEqual(entry('A'));
    expect(await cache.get('c')).toEqual(entry('C'));
    expect(cache.size).toBe(2);
  });

  it('refuses a size below one', () => {
    expect(() => new MemoryResponseCache(0)).toThrow(/positive integer/);
  });
});
