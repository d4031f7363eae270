import { isValidName } from './names';

describe('names', () => {
  it.each(['a', 'users', 'A-Z_09', 'x'.repeat(64)])('accepts the name %s', (name) => {
    expect(isValidName(name)).toBe(true);
  });

  it.each(['', 'a.b', '*', '>', 'a b', 'é', 'x'.repeat(65), 'a\nb', 'a\tb'])('refuses the name %p', (name) => {
    expect(isValidName(name)).toBe(false);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 1, {}, ['a']]) expect(isValidName(value)).toBe(false);
  });
});
