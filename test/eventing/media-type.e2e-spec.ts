import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { ADAPTERS, BROKERS, JWT_SECRET, get, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { rawHttp } from '../support/raw-http';
import { signToken } from '../support/tokens';

/**
 * The eventing routes read JSON only (docs/security.md#browsers): queueing is refused 415 unless
 * the POST is declared JSON, before anything is stored; retry, which takes no body, may be sent
 * without one and without a Content-Type. On both adapters and both brokers.
 */

const QUEUE = '/v1/api/demo/eventing/queue';
const NOT_JSON_TYPE = { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', error: 'request Content-Type must be application/json' } };

const variants = BROKERS.flatMap((kind) => ADAPTERS.map((adapter) => ({ kind, adapter })));

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`eventing routes take JSON only (${kind}, ${adapter})`, () => {
    let dir: string;
    let nats: NatsServerProcess | undefined;
    let gateway: { process: TestProcess; url: string };
    let admin: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nest-mesh-media-type-'));
      if (kind === 'nats-server') nats = await new NatsServerProcess({ args: ['-js', '-sd', join(dir, 'js')] }).start();
      gateway = await startGateway(
        writeConfig({
          id: 'demo',
          secret: JWT_SECRET,
          port: await freePort(),
          http: { adapter },
          modules: {
            functions: { ...(nats ? { conn: nats.url } : { embedded: { host: '127.0.0.1', port: await freePort() } }), rules: {} },
            eventing: { enabled: true, store: join(dir, 'events'), rules: { default: { rule: 'allow' } }, admin: { rule: 'authenticated' } },
          },
        }),
      );
      admin = await signToken({ sub: 'ops' });
    });
    afterAll(async () => {
      await gateway?.process.stop();
      await nats?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const queue = (headers: Record<string, string | undefined>, body?: string) => rawHttp(gateway.url, { path: QUEUE, headers, body });
    const pending = async () => (await get(`${gateway.url}/v1/api/demo/eventing/events?status=pending`, { Authorization: `Bearer ${admin}` })).body.events;

    it.each([
      ['text/plain', { 'Content-Type': 'text/plain' }, '{"type":"sneaky","id":"plain"}'],
      ['an urlencoded form', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'type=sneaky'],
      ['no Content-Type', { 'Content-Type': undefined }, '{"type":"sneaky","id":"untyped"}'],
      ['no Content-Type and no body', { 'Content-Type': undefined }, undefined],
    ])('refuses to queue %s with 415, and stores nothing', async (_, headers, body) => {
      const res = await queue(headers, body);
      expect({ status: res.status, body: res.body }).toEqual(NOT_JSON_TYPE);
      expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(await pending()).toEqual([]);
    });

    it('queues a JSON POST, application/json with parameters too', async () => {
      const res = await queue({ 'Content-Type': 'application/json; charset=utf-8' }, '{"type":"fine","id":"json-1","delay":600000}');
      expect({ status: res.status, body: res.body }).toEqual({ status: 202, body: { id: 'json-1' } });
    });

    it('lets retry, which takes no body, come with neither a body nor a Content-Type; not with a body of another type', async () => {
      const retry = (headers: Record<string, string | undefined>, body?: string) =>
        rawHttp(gateway.url, { path: '/v1/api/demo/eventing/events/no-such/retry', headers: { Authorization: `Bearer ${admin}`, ...headers }, body });
      expect((await retry({ 'Content-Type': undefined })).body).toMatchObject({ code: 'NOT_FOUND' });
      expect((await retry({})).body).toMatchObject({ code: 'NOT_FOUND' });
      const typed = await retry({ 'Content-Type': 'text/plain' }, '{}');
      expect({ status: typed.status, body: typed.body }).toEqual(NOT_JSON_TYPE);
    });
  });
}
