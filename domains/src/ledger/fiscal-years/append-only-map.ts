/**
 * A persistent map for the fiscal year's postings, which only ever grow: `with` returns a new
 * map and leaves the old one as it was, in O(1) in the normal case instead of copying every
 * posting of the year (which made folding n postings one by one O(n²)).
 *
 * All versions derived from one another share one log of entries; a version sees the first
 * `size` of them. Extending the newest version appends to the shared log. Extending an older
 * version (a branch, e.g. a state decided on again after a failed append) or overwriting a key
 * copies the visible entries into a fresh log first, so no version ever sees another's change.
 */
interface Log<K, V> {
  readonly keys: K[];
  readonly entries: Map<K, { value: V; at: number }>;
}

export class AppendOnlyMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(
    private readonly log: Log<K, V>,
    readonly size: number,
  ) {}

  static empty<K, V>(): AppendOnlyMap<K, V> {
    return new AppendOnlyMap<K, V>({ keys: [], entries: new Map() }, 0);
  }

  static from<K, V>(entries: Iterable<readonly [K, V]>): AppendOnlyMap<K, V> {
    let map = AppendOnlyMap.empty<K, V>();
    for (const [key, value] of entries) map = map.with(key, value);
    return map;
  }

  get(key: K): V | undefined {
    const entry = this.log.entries.get(key);
    return entry !== undefined && entry.at < this.size ? entry.value : undefined;
  }

  has(key: K): boolean {
    const entry = this.log.entries.get(key);
    return entry !== undefined && entry.at < this.size;
  }

  /** This map plus `key` → `value`; this map is unchanged. */
  with(key: K, value: V): AppendOnlyMap<K, V> {
    if (this.size === this.log.keys.length && !this.log.entries.has(key)) {
      this.log.keys.push(key);
      this.log.entries.set(key, { value, at: this.size });
      return new AppendOnlyMap(this.log, this.size + 1);
    }
    const copy: Log<K, V> = { keys: [], entries: new Map() };
    for (const [visibleKey, visibleValue] of this) {
      copy.entries.set(visibleKey, { value: visibleValue, at: copy.keys.length });
      copy.keys.push(visibleKey);
    }
    const existing = copy.entries.get(key);
    if (existing !== undefined) {
      copy.entries.set(key, { value, at: existing.at });
      return new AppendOnlyMap(copy, copy.keys.length);
    }
    copy.entries.set(key, { value, at: copy.keys.length });
    copy.keys.push(key);
    return new AppendOnlyMap(copy, copy.keys.length);
  }

  *entries(): MapIterator<[K, V]> {
    for (let index = 0; index < this.size; index += 1) {
      const key = this.log.keys[index] as K;
      yield [key, (this.log.entries.get(key) as { value: V }).value];
    }
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}
