import { existsSync } from 'node:fs';

/** The system Chromium the browser suites drive (Debian package `chromium`); env CHROMIUM_BIN overrides. */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Flags for a headless run in a container or CI, with nothing fetched from the network by the browser itself. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Suites that need Chromium: outside CI a missing browser skips them, with CI=true it fails them
 * (a missing install must never look green).
 */
export function describeWithChromium(name: string, fn: () => void): void {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.CI !== 'true') {
    describe.skip(`${name} (${CHROMIUM} not installed)`, fn);
    return;
  }
  describe(name, () => {
    if (!available) {
      it('needs Chromium (apt-get install chromium)', () => {
        throw new Error(`${CHROMIUM} is not installed; CI must have it`);
      });
      return;
    }
    fn();
  });
}
