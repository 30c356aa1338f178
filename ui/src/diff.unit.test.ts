import { diffFields } from './diff';

describe('diffFields', () => {
  it('lists changed, added and removed leaves by path', () => {
    const before = { title: 'A', lines: [{ qty: 1 }], meta: { x: 1 } };
    const after = { title: 'B', lines: [{ qty: 1 }, { qty: 2 }], meta: {} };
    expect(diffFields(before, after)).toEqual([
      { path: 'lines.1.qty', kind: 'added', before: null, after: '2' },
      { path: 'meta', kind: 'added', before: null, after: '{}' },
      { path: 'meta.x', kind: 'removed', before: '1', after: null },
      { path: 'title', kind: 'changed', before: '"A"', after: '"B"' },
    ]);
  });

  it('finds nothing in equal values', () => {
    expect(diffFields({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual([]);
  });
});
