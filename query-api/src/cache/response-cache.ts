/**
 * The response cache port. Keys contain the checkpoint positions of the read models a
 * response was computed from, so an advanced projection simply yields new keys: nothing is
 * ever invalidated explicitly, old entries age out (LRU in memory, TTL in Redis).
 */
export interface ResponseCache {
  /** Which adapter answers (`memory` or `redis`), for the `X-Cache` header and logs. */
  readonly kind: string;
  get(key: string): Promise<CachedResponse | null>;
  set(key: string, value: CachedResponse): Promise<void>;
}

/** A serialized answer: its content type, body and (for CSV) download file name. */
export interface CachedResponse {
  contentType: string;
  body: string;
  filename?: string;
}

/** Entries the in-memory cache holds by default. */
export const MEMORY_CACHE_ENTRIES_DEFAULT = 1_000;
/** Largest body cached (in characters); larger answers are served but not kept. */
export const CACHED_BODY_LENGTH_MAX = 1_000_000;
/** How long Redis keeps an entry, in seconds: keys of old positions are never asked again. */
export const REDIS_CACHE_TTL_SECONDS_DEFAULT = 600;

/**
 * In-memory LRU on a Map (insertion order is recency order: a hit re-inserts its key; the
 * first key is the least recently used one). `lru-cache` is not a dependency of the repository.
 */
export class MemoryResponseCache implements ResponseCache {
  readonly kind = 'memory';
  private readonly entries = new Map<string, CachedResponse>();

  constructor(private readonly entriesMax = MEMORY_CACHE_ENTRIES_DEFAULT) {
    if (!Number.isInteger(entriesMax) || entriesMax < 1) throw new Error(`entriesMax must be a positive integer, got ${entriesMax}`);
  }

  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<CachedResponse | null> {
    const value = this.entries.get(key);
    if (value === undefined) return null;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    if (value.body.length > CACHED_BODY_LENGTH_MAX) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}

/** The part of an ioredis client the Redis adapter uses (an `ioredis` instance fits). */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, expiryMode: 'EX', seconds: number): Promise<unknown>;
}

/** Redis adapter (pass an ioredis client when `REDIS_URL` is set): shared by every server process. */
export class RedisResponseCache implements ResponseCache {
  readonly kind = 'redis';

  constructor(
    private readonly redis: RedisLike,
    private readonly options: { keyPrefix?: string; ttlSeconds?: number } = {},
  ) {}

  private key(key: string): string {
    return `${this.options.keyPrefix ?? 'neuroerp:query:'}${key}`;
  }

  async get(key: string): Promise<CachedResponse | null> {
    const raw = await this.redis.get(this.key(key));
    return raw === null ? null : (JSON.parse(raw) as CachedResponse);
  }

  async set(key: string, value: CachedResponse): Promise<void> {
    if (value.body.length > CACHED_BODY_LENGTH_MAX) return;
    await this.redis.set(this.key(key), JSON.stringify(value), 'EX', this.options.ttlSeconds ?? REDIS_CACHE_TTL_SECONDS_DEFAULT);
  }
}
