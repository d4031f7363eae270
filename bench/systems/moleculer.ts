import { freePort } from '../../test/support/free-port';
import { startProgram } from '../support/processes';
import { PARAMS, PARAMS_JSON } from '../payload';
import { BenchSystem } from './types';

/** (c) moleculer-web 0.10 -> moleculer 0.14 over the run's nats-server (NATS transporter) -> one echo action. */
export const moleculerSystem: BenchSystem = {
  id: 'c',
  group: 'c',
  label: 'moleculer-web -> moleculer (NATS transporter)',
  async start(ctx) {
    const natsUrl = await ctx.natsUrl();
    const port = await freePort();
    const echo = await startProgram(ctx.registry, 'moleculer echo', 'bench/servers/moleculer-echo.ts', { env: { NATS_URL: natsUrl } });
    const web = await startProgram(ctx.registry, 'moleculer web', 'bench/servers/moleculer-web.ts', {
      env: { NATS_URL: natsUrl, PORT: String(port) },
      nodeArgs: ctx.nodeArgsFor('c'),
    }).catch(
      async (error: Error) => {
        await echo.stop();
        throw error;
      },
    );
    return {
      target: { kind: 'http', url: `http://127.0.0.1:${port}/api/echo`, body: PARAMS_JSON, headers: {}, expect: { status: 200, body: PARAMS } },
      measuredPid: web.child.pid,
      measured: 'moleculer-web',
      others: [
        { role: 'nats-server', pid: ctx.natsPid() },
        { role: 'moleculer service', pid: echo.child.pid },
      ],
      stop: async () => {
        await web.stop();
        await echo.stop();
      },
    };
  },
};
