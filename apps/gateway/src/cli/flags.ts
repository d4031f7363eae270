/**
 * `--name value` or `--name=value` of a command line; undefined when absent. Throws when the flag
 * is there without a value. Flags not in `known` are refused, so a typo does not pass unnoticed.
 */
export function parseFlags(argv: readonly string[], known: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!known.includes(name)) throw new Error(`unknown flag --${name} (known: ${known.map((k) => `--${k}`).join(', ')})`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new Error(`--${name} needs a value`);
    flags[name] = value;
  }
  return flags;
}
