import { AppendOnlyMap } from './append-only-map';

describe('AppendOnlyMap', () => {
  it('extends without changing earlier versions', () => {
    const empty = AppendOnlyMap.empty<string, number>();
    const one = empty.with('a', 1);
    const two = one.with('b', 2);
    expect(empty.size).toBe(0);
    expect(empty.has('a')).toBe(false);
    expect(one.get('a')).toBe(1);
    expect(one.has('b')).toBe(false);
    expect(one.get('b')).toBeUndefined();
    expect([...two]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('keeps branches apart: extending an older version copies', () => {
    const one = AppendOnlyMap.empty<string, number>().with('a', 1);
    const left = one.with('b', 2);
    const right = one.with('c', 3);
    const leftAgain = left.with('d', 4);
    expect([...left.keys()]).toEqual(['a', 'b']);
    expect([...right.keys()]).toEqual(['a', 'c']);
    expect([...leftAgain.keys()]).toEqual(['a', 'b', 'd']);
    expect(right.has('b')).toBe(false);
    expect(left.has('c')).toBe(false);
    expect(right.with('e', 5).has('b')).toBe(false);
  });

  it('overwrites a key in a copy, in place of the old entry', () => {
    const map = AppendOnlyMap.from([
      ['a', 1],
      ['b', 2],
    ]);
    const changed = map.with('a', 10);
    expect(map.get('a')).toBe(1);
    expect([...changed.entries()]).toEqual([
      ['a', 10],
      ['b', 2],
    ]);
    expect(changed.size).toBe(2);
    const seen: string[] = [];
    changed.forEach((value, key) => seen.push(`${key}=${value}`));
    expect(seen).toEqual(['a=10', 'b=2']);
    expect([...changed.values()]).toEqual([10, 2]);
  });
});
