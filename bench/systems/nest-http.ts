import { freePort } from '../../test/support/free-port';
import { startProgram } from '../support/processes';
import { ENVELOPE_JSON, PARAMS } from '../payload';
import { BenchSystem } from './types';

/** (d) the framework ceiling: a plain Nest controller answering the same echo, in one process. */
export function nestHttpSystem(adapter: 'express' | 'fastify'): BenchSystem {
  return {
    id: `d-${adapter}`,
    group: 'd',
    label: `plain Nest controller (${adapter})`,
    async start(ctx) {
      const port = await freePort();
      const server = await startProgram(ctx.registry, `nest ${adapter}`, 'bench/servers/nest-http.ts', {
        env: { PORT: String(port), ADAPTER: adapter },
        nodeArgs: ctx.nodeArgsFor(`d-${adapter}`),
      });
      return {
        target: { kind: 'http', url: `http://127.0.0.1:${port}/echo`, body: ENVELOPE_JSON, headers: {}, expect: { status: 200, body: { result: PARAMS } } },
        measuredPid: server.child.pid,
        measured: 'Nest app',
        others: [],
        stop: () => server.stop(),
      };
    },
  };
}
