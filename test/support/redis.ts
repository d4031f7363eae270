import { spawnSync } from 'node:child_process';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether something accepts TCP connections at REDIS_URL (checked once, synchronously, within 3 s). */
export function redisReachable(url = REDIS_URL): boolean {
  const { hostname, port } = new URL(url);
  const probe = `require('net').connect(${Number(port || 6379)}, ${JSON.stringify(hostname)})` + `.on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

/**
 * Suites that need Redis call this once: outside CI an unreachable Redis skips them, with CI=true
 * it fails them (a missing service must never look green).
 */
export function describeWithRedis(name: string, fn: () => void): void {
  const available = redisReachable();
  if (!available && process.env.CI !== 'true') {
    describe.skip(`${name} (Redis not reachable at ${REDIS_URL})`, fn);
    return;
  }
  describe(name, () => {
    if (!available) {
      it('needs Redis', () => {
        throw new Error(`Redis is not reachable at ${REDIS_URL}; CI must have it`);
      });
      return;
    }
    fn();
  });
}
