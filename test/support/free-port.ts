import { createServer } from 'node:net';

/*
 * Ports come from 10000-29999, below Linux's ephemeral range (32768-60999), so a port handed out here is
 * never taken meanwhile by an outgoing connection or by another server listening on port 0. Each jest
 * worker draws from its own slice of that range and hands out each port once (in 2,500 calls), so two suites
 * running side by side, or two servers of one suite, cannot be given the same port.
 */
const FIRST = 10_000;
const SLICES = 8;
const SLICE_SIZE = 2_500;
const worker = (Number(process.env.JEST_WORKER_ID) || 1) - 1;
const sliceStart = FIRST + (worker % SLICES) * SLICE_SIZE;
let next = Math.floor(Math.random() * SLICE_SIZE);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A TCP port that is free and that no other caller in this test run is given (never 4222). */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < SLICE_SIZE; tries++) {
    const port = sliceStart + (next++ % SLICE_SIZE);
    if (await canListen(port)) return port;
  }
  throw new Error(`freePort: no free port in ${sliceStart}-${sliceStart + SLICE_SIZE - 1}`);
}
