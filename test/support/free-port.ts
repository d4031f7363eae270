import { createServer } from 'node:net';

/*
 * Ports come from 10000-29999, below Linux's ephemeral range (32768-60999), so a port handed out here is
 * never taken meanwhile by an outgoing connection or by another server listening on port 0. Each jest
 * worker draws from its own slice of that range and hands out each port once (in 1,250 calls), so two suites
 * running side by side, or two servers of one suite, cannot be given the same port. MESH_TEST_PORT_SLICE
 * shifts the slices, so that two test runs on one machine (two checkouts) do not share them either.
 * Ports that fetch refuses ("bad port", e.g. 10080) are never handed out: a browser or undici test would fail on them.
 */
const FIRST = 10_000;
const SLICES = 16;
const SLICE_SIZE = 1_250;
const worker = (Number(process.env.JEST_WORKER_ID) || 1) - 1 + (Number(process.env.MESH_TEST_PORT_SLICE) || 0);
const sliceStart = FIRST + (worker % SLICES) * SLICE_SIZE;
let next = Math.floor(Math.random() * SLICE_SIZE);

/** The ports of the Fetch standard's "bad port" list (fetch.spec.whatwg.org#port-blocking) within 10000-29999. */
const FETCH_BLOCKED = new Set([10080]);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** Whether fetch (undici, browsers) refuses to connect to `port`. */
export function isFetchBlocked(port: number): boolean {
  return FETCH_BLOCKED.has(port);
}

/** A TCP port that is free, that fetch may reach and that no other caller in this test run is given (never 4222). */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < SLICE_SIZE; tries++) {
    const port = sliceStart + (next++ % SLICE_SIZE);
    if (!isFetchBlocked(port) && (await canListen(port))) return port;
  }
  throw new Error(`freePort: no free port in ${sliceStart}-${sliceStart + SLICE_SIZE - 1}`);
}
