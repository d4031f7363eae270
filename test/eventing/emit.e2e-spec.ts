import { INestApplication, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshClient, MeshContext, MeshEvent, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { JWT_SECRET, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { until } from '../support/until';

const seen: { params: { id: string; payload: unknown }; event: MeshEvent | undefined; at: number }[] = [];

@MeshService('mail')
class MailService {
  @MeshFunction('welcome')
  welcome(params: { id: string; payload: unknown }, ctx: MeshContext): void {
    seen.push({ params, event: ctx.event, at: Date.now() });
  }

  @MeshFunction('plain')
  plain(_: unknown, ctx: MeshContext): { event: MeshEvent | null } {
    return { event: ctx.event ?? null };
  }
}

/** A backend queues events with MeshClient.emit; a triggered function reads ctx.event. */
describe('MeshClient.emit and MeshContext.event', () => {
  let dir: string;
  let gateway: { process: TestProcess; url: string; brokerUrl: string };
  let services: INestMicroservice;
  let client: INestApplication;
  let mesh: MeshClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-mesh-emit-'));
    gateway = await startGateway(
      writeConfig({
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        modules: {
          functions: { embedded: { host: '127.0.0.1', port: await freePort() }, rules: { mail: { plain: { rule: 'allow' } } } },
          eventing: {
            enabled: true,
            store: join(dir, 'events'),
            triggers: { welcome: { on: { event: 'user.signup' }, call: { service: 'mail', func: 'welcome' } } },
          },
        },
      }),
    );
    services = await NestFactory.createMicroservice(MailModule, { ...meshMicroservice({ servers: gateway.brokerUrl }), logger: false });
    await services.listen();
    @Module({ imports: [MeshModule.forRoot({ servers: gateway.brokerUrl })] })
    class ClientModule {}
    client = await NestFactory.create(ClientModule, { logger: false });
    await client.init();
    mesh = client.get(MeshClient);
    await until(async () => (await mesh.call('mail', 'plain').catch(() => undefined)) !== undefined, 10_000, 'mesh up');
  });
  afterAll(async () => {
    await client?.close();
    await services?.close();
    await gateway?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an emitted event (no HTTP rule needed: backends are trusted) and the function sees ctx.event', async () => {
    expect(await mesh.emit('user.signup', { email: 'ada@example.com' }, { id: 'emit-1' })).toBe('emit-1');
    await until(() => seen.some((s) => s.params.id === 'emit-1'));
    const got = seen.find((s) => s.params.id === 'emit-1')!;
    expect(got.event).toEqual({ id: 'emit-1', type: 'user.signup', attempt: 1 });
    expect(got.params.payload).toEqual({ email: 'ada@example.com' });
  });

  it('gives a new id when none is given, and stores an id given twice once', async () => {
    const id = await mesh.emit('user.signup', 1);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await mesh.emit('user.signup', 'a', { id: 'emit-twice' });
    await mesh.emit('user.signup', 'b', { id: 'emit-twice' });
    await until(() => seen.some((s) => s.params.id === id) && seen.some((s) => s.params.id === 'emit-twice'));
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.filter((s) => s.params.id === 'emit-twice').map((s) => s.params.payload)).toEqual(['a']);
  });

  it('delivers a delayed event no earlier than its delay', async () => {
    const start = Date.now();
    await mesh.emit('user.signup', null, { id: 'emit-later', delay: 1500 });
    await until(() => seen.some((s) => s.params.id === 'emit-later'));
    expect(seen.find((s) => s.params.id === 'emit-later')!.at - start).toBeGreaterThanOrEqual(1400);
  });

  it('rejects a bad event with 400 BAD_REQUEST', async () => {
    await expect(mesh.emit('bad type!', null)).rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    await expect(mesh.emit('user.signup', null, { delay: -5 })).rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('has no ctx.event in a call that no trigger made', async () => {
    expect(await mesh.call('mail', 'plain')).toEqual({ event: null });
  });
});

@Module({ controllers: [MailService] })
class MailModule {}
