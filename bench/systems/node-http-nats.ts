import { freePort } from '../../test/support/free-port';
import { startProgram } from '../support/processes';
import { ENVELOPE_JSON, PARAMS } from '../payload';
import { BenchSystem } from './types';

/** (e) the floor cost of an HTTP to NATS hop: bare node:http -> nc.request -> nats-server -> an echo responder. */
export const nodeHttpNatsSystem: BenchSystem = {
  id: 'e',
  group: 'e',
  label: 'node:http -> nc.request -> nats-server',
  async start(ctx) {
    const natsUrl = await ctx.natsUrl();
    const port = await freePort();
    const subject = 'bench.e.echo';
    const echo = await startProgram(ctx.registry, 'nats echo', 'bench/servers/nats-echo.ts', { env: { NATS_URL: natsUrl, SUBJECT: subject } });
    const server = await startProgram(ctx.registry, 'node http', 'bench/servers/node-http-nats.ts', {
      env: { NATS_URL: natsUrl, SUBJECT: subject, PORT: String(port) },
      nodeArgs: ctx.nodeArgsFor('e'),
    }).catch(async (error: Error) => {
      await echo.stop();
      throw error;
    });
    return {
      target: { kind: 'http', url: `http://127.0.0.1:${port}/`, body: ENVELOPE_JSON, headers: {}, expect: { status: 200, body: { result: PARAMS } } },
      measuredPid: server.child.pid,
      measured: 'node:http server',
      others: [
        { role: 'nats-server', pid: ctx.natsPid() },
        { role: 'echo responder', pid: echo.child.pid },
      ],
      stop: async () => {
        await server.stop();
        await echo.stop();
      },
    };
  },
};
