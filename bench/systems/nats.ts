import { startProgram } from '../support/processes';
import { PARAMS, PARAMS_JSON } from '../payload';
import { BenchSystem } from './types';

/** (f) the broker ceiling: plain nats.js request-reply through nats-server, no HTTP. */
export const natsSystem: BenchSystem = {
  id: 'f',
  group: 'f',
  label: 'nats.js request-reply (no HTTP)',
  async start(ctx) {
    const natsUrl = await ctx.natsUrl();
    const subject = 'bench.f.echo';
    const echo = await startProgram(ctx.registry, 'nats echo', 'bench/servers/nats-echo.ts', {
      env: { NATS_URL: natsUrl, SUBJECT: subject },
      nodeArgs: ctx.nodeArgsFor('f'),
    });
    return {
      target: { kind: 'nats', url: natsUrl, subject, payload: PARAMS_JSON, expect: PARAMS },
      measuredPid: echo.child.pid,
      measured: 'echo responder',
      others: [{ role: 'nats-server', pid: ctx.natsPid() }],
      stop: () => echo.stop(),
    };
  },
};
