import { createServer } from 'node:net';
import { connect } from 'nats';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { GATEWAY_MAIN, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';

/** Start-up of the gateway process: a bad config stops it with one line that names the path. */
describe('the gateway at start-up', () => {
  const runGateway = (configPath: string) => TestProcess.run('gateway', process.execPath, [GATEWAY_MAIN, '--config', configPath]);

  it.each([
    [{ id: 'demo', modules: { functions: { rules: { users: { create: { rule: 'alow' } } } } } }, 'modules.functions.rules.users.create.rule: unknown rule "alow"'],
    [{ id: 'demo', colour: 'blue' }, 'colour: unknown key'],
    [{ id: 'demo', port: 'abc' }, 'port: must be an integer number'],
    [{ id: 'demo', secret: '${NOT_SET_ANYWHERE}' }, 'secret: environment variable NOT_SET_ANYWHERE is not set'],
    [{ id: 'demo', secret: 'shorter-than-32-bytes' }, 'secret: must be at least 32 bytes (an HS256 key shorter than 256 bits can be guessed offline from any one token)'],
    [{ id: 'demo', auth: { audience: [] } }, 'auth.audience: must be a non-empty string or a non-empty list of them'],
  ])('exits with code 1 and one line naming the path (%#)', async (config, message) => {
    const { code, output } = await runGateway(writeConfig(config));
    expect(code).toBe(1);
    expect(output.trim()).toBe(`nest-mesh gateway: config: ${message}`);
  });

  it('exits with code 1 for a missing file, with no stack trace', async () => {
    const { code, output } = await runGateway('/nonexistent/mesh.yaml');
    expect(code).toBe(1);
    expect(output.trim()).toBe('nest-mesh gateway: config: cannot read config file /nonexistent/mesh.yaml: ENOENT');
  });

  it('substitutes ${ENV} and lets env PORT override the port', async () => {
    const port = await freePort();
    const gateway = await startGateway(
      writeConfig({ id: '${PROJECT_ID}', port: 1, modules: { functions: { embedded: { port: 0 }, rules: {} } } }),
      { PROJECT_ID: 'from-env', PORT: String(port) },
    );
    try {
      expect(gateway.url).toBe(`http://127.0.0.1:${port}`);
      const res = await post(`${gateway.url}/v1/api/from-env/functions/a/b`, {});
      expect(res).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    } finally {
      await gateway.process.stop();
    }
  });

  it('serves no function route and runs no broker when functions are disabled', async () => {
    const gateway = await startGateway(writeConfig({ id: 'demo', port: 0, modules: { functions: { enabled: false, rules: { default: { default: { rule: 'allow' } } } } } }));
    try {
      expect(gateway.brokerUrl).toBe('none');
      const res = await post(`${gateway.url}/v1/api/demo/functions/a/b`, {});
      expect(res).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
      expect(res.headers.get('x-request-id')).toBeTruthy();
    } finally {
      await gateway.process.stop();
    }
  });

  it('exits with one line when the embedded broker port is taken', async () => {
    const holder = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const { code, output } = await runGateway(writeConfig({ id: 'demo', port: 0, modules: { functions: { embedded: { port } } } }));
      expect(code).toBe(1);
      expect(output.trim()).toBe(`nest-mesh gateway: embedded broker: 127.0.0.1:${port} is already in use`);
    } finally {
      holder.close();
    }
  });

  it('on SIGTERM closes the connections of the embedded broker and exits 0', async () => {
    const gateway = await startGateway(writeConfig({ id: 'demo', port: 0, modules: { functions: { embedded: { port: 0 } } } }));
    try {
      const nc = await connect({ servers: gateway.brokerUrl, reconnect: false });
      const closed = nc.closed();
      await gateway.process.stop('SIGTERM');
      expect(gateway.process.child.exitCode).toBe(0);
      let timer: NodeJS.Timeout | undefined;
      const stillOpen = new Promise((resolve) => (timer = setTimeout(() => resolve('still open'), 5000)));
      await expect(Promise.race([closed.then(() => 'closed'), stillOpen])).resolves.toBe('closed');
      clearTimeout(timer);
    } finally {
      await gateway.process.stop();
    }
  });
});
