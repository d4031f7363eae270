import { nestsDeeperThan } from './json-depth';

describe('nestsDeeperThan', () => {
  const nested = (levels: number, inner = '1') => '['.repeat(levels) + inner + ']'.repeat(levels);

  it('counts arrays and objects, not scalars', () => {
    expect(nestsDeeperThan('1', 0)).toBe(false);
    expect(nestsDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(nestsDeeperThan(nested(64), 64)).toBe(false);
    expect(nestsDeeperThan(nested(65), 64)).toBe(true);
  });

  it('counts siblings once: depth, not the number of brackets', () => {
    expect(nestsDeeperThan(`[${Array(500).fill('[[1]]').join(',')}]`, 3)).toBe(false);
  });

  it('ignores brackets inside strings, also after escaped quotes and backslashes', () => {
    expect(nestsDeeperThan(`{"s":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan(`{"s":"\\"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan(`{"s":"\\\\", "t": ${nested(5)}}`, 5)).toBe(true);
    expect(nestsDeeperThan(`{"s":"\\\\", "t": ${nested(4)}}`, 5)).toBe(false);
  });

  it('checks a million levels without overflowing the stack', () => {
    expect(nestsDeeperThan(nested(1_000_000), 64)).toBe(true);
    expect(nestsDeeperThan('"' + '['.repeat(1_000_000), 64)).toBe(false); // an unterminated string: JSON.parse rejects it
  });
});
