import { JSON_DEPTH_MAX, jsonDepth } from './json-depth';

describe('jsonDepth', () => {
  it.each<[unknown, number]>([
    [5, 0],
    ['text', 0],
    [null, 0],
    [{}, 1],
    [[1, 2], 1],
    [{ lines: [{ amount: '1.00' }] }, 3],
    [[[], [[[]]]], 4],
  ])('%j is %i deep', (value, depth) => {
    expect(jsonDepth(value)).toBe(depth);
  });

  it('stops counting past the maximum, even for a body 100,000 levels deep', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    expect(jsonDepth(deep)).toBe(JSON_DEPTH_MAX + 1);
  });
});
