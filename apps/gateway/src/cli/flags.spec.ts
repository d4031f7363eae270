import { parseFlags } from './flags';

describe('parseFlags', () => {
  const known = ['url', 'out'];

  it('reads --name value and --name=value', () => {
    expect(parseFlags(['--url', 'http://x', '--out=a.d.ts'], known)).toEqual({ url: 'http://x', out: 'a.d.ts' });
    expect(parseFlags([], known)).toEqual({});
  });

  it.each([
    [['--colour', 'blue'], 'unknown flag --colour (known: --url, --out)'],
    [['--url'], '--url needs a value'],
    [['--url', '--out', 'x'], '--url needs a value'],
    [['--url='], '--url needs a value'],
    [['stray'], 'unexpected argument "stray"'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseFlags(argv, known)).toThrow(message);
  });
});
