import { Controller, INestApplication, INestMicroservice, Module, Post } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { MeshClient, MeshContext, MeshError, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { describeWithNatsServer } from '../support/nats-server';
import { startBroker, TestBroker } from '../support/broker';
import { BROKERS } from '../support/mesh';

/** MeshModule, MeshClient and the transport inside one process, the way an app uses them. */

@MeshService('inproc')
class InProcService {
  @MeshFunction('double')
  double(n: number): number {
    return n * 2;
  }

  @MeshFunction('slow')
  async slow(ms: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'done';
  }

  @MeshFunction('refuse')
  refuse(): never {
    throw new MeshError(409, 'already there', 'CONFLICT_HERE');
  }

  @MeshFunction('context')
  context(_: unknown, ctx: MeshContext) {
    return { requestId: ctx.requestId, auth: ctx.auth ?? null, remaining: ctx.remainingMs() };
  }
}

/** An HTTP controller beside the mesh functions: a hybrid app. */
@Controller('health')
class HealthController {
  @Post()
  health() {
    return { ok: true };
  }
}

function appModule(url: string) {
  @Module({
    imports: [
      ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ natsUrl: url })] }),
      MeshModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({ servers: config.getOrThrow<string>('natsUrl'), callTimeout: 2000 }),
      }),
    ],
    controllers: [InProcService, HealthController],
  })
  class AppModule {}
  return AppModule;
}

for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`MeshClient and a hybrid app (${kind})`, () => {
    let broker: TestBroker;
    let app: INestApplication;
    let client: MeshClient;

    beforeAll(async () => {
      broker = await startBroker(kind);
      app = await NestFactory.create(appModule(broker.url), { logger: false });
      app.connectMicroservice(meshMicroservice({ servers: broker.url }));
      await app.startAllMicroservices();
      await app.listen(0, '127.0.0.1');
      client = app.get(MeshClient);
    });
    afterAll(async () => {
      await app?.close();
      await broker?.stop();
    });

    it('calls a function served by the same app (forRootAsync options applied)', async () => {
      await expect(client.call('inproc', 'double', 21)).resolves.toBe(42);
    });

    it('still serves HTTP beside the mesh', async () => {
      const address = app.getHttpServer().address();
      const res = await fetch(`http://127.0.0.1:${address.port}/health`, { method: 'POST', signal: AbortSignal.timeout(5000) });
      expect(await res.json()).toEqual({ ok: true });
    });

    it('rejects with the MeshError of the function', async () => {
      await expect(client.call('inproc', 'refuse')).rejects.toMatchObject({ status: 409, code: 'CONFLICT_HERE', message: 'already there' });
    });

    it('rejects with 503 at once when no instance serves the function', async () => {
      const started = Date.now();
      await expect(client.call('nobody', 'home', null, { timeout: 10_000 })).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('rejects with 504 after the timeout (the module default, or the call option)', async () => {
      let started = Date.now();
      await expect(client.call('inproc', 'slow', 5000, { timeout: 300 })).rejects.toMatchObject({ status: 504, code: 'TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(1300);
      started = Date.now();
      await expect(client.call('inproc', 'slow', 5000)).rejects.toMatchObject({ status: 504 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    });

    it('rejects bad names with 400 before anything is sent', async () => {
      for (const [service, func] of [['a.b', 'c'], ['a', '*'], ['a', '>'], ['x'.repeat(65), 'y']]) {
        await expect(client.call(service, func)).rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      }
    });

    it('sends the request id, auth and timeout it is given', async () => {
      const result = await client.call<{ requestId: string; auth: unknown; remaining: number }>('inproc', 'context', null, {
        requestId: 'given-1',
        auth: { sub: 'ada' },
        timeout: 1500,
      });
      expect(result.requestId).toBe('given-1');
      expect(result.auth).toEqual({ sub: 'ada' });
      expect(result.remaining).toBeGreaterThan(0);
      expect(result.remaining).toBeLessThanOrEqual(1500);
    });

    it('makes a request id when none is given', async () => {
      const result = await client.call<{ requestId: string }>('inproc', 'context');
      expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describeFor(`MeshClient when the broker goes away (${kind})`, () => {
    let broker: TestBroker | undefined;
    let app: INestApplication | undefined;

    afterAll(async () => {
      await app?.close();
      await broker?.stop();
    });

    it('fails the calls in flight and the calls after with 503 at once, not after the timeout', async () => {
      broker = await startBroker(kind);
      app = await NestFactory.create(appModule(broker.url), { logger: false });
      app.connectMicroservice(meshMicroservice({ servers: broker.url }));
      await app.startAllMicroservices();
      await app.init();
      const client = app.get(MeshClient);
      await expect(client.call('nobody', 'home')).rejects.toMatchObject({ status: 503 });
      const started = Date.now();
      const inFlight = client.call('inproc', 'slow', 8000, { timeout: 10_000 }).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await broker.stop();
      broker = undefined;
      // the client notices the disconnect; from then on calls fail fast
      const deadline = Date.now() + 5000;
      let last: unknown;
      while (Date.now() < deadline) {
        const started = Date.now();
        last = await client.call('inproc', 'double', 1, { timeout: 10_000 }).catch((error: unknown) => error);
        if (last instanceof MeshError && last.status === 503 && Date.now() - started < 1000) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(last).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(await inFlight).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(7000);
    });
  });
}

describe('a service started before its broker', () => {
  it('waits for the broker, then serves', async () => {
    const { freePort } = await import('../support/free-port');
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    let service: INestMicroservice | undefined;
    let broker: EmbeddedBroker | undefined;
    let app: INestApplication | undefined;
    try {
      service = await NestFactory.createMicroservice(appModule(url), { ...meshMicroservice({ servers: url, reconnectTimeWait: 100 }), logger: false });
      const listening = service.listen();
      await new Promise((resolve) => setTimeout(resolve, 300));
      broker = await new EmbeddedBroker({ port }).start();
      await listening;
      app = await NestFactory.create(appModule(url), { logger: false });
      await app.init();
      await expect(app.get(MeshClient).call('inproc', 'double', 4)).resolves.toBe(8);
    } finally {
      await app?.close();
      await service?.close();
      await broker?.close();
    }
  });
});

/** Retries `call` until it resolves, for at most `ms`; the last error otherwise. */
async function eventually<T>(call: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('MeshClient across broker restarts', () => {
  it('calls through the connection made once the broker is up, and again after the broker comes back', async () => {
    const { freePort } = await import('../support/free-port');
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    let broker: EmbeddedBroker | undefined;
    let service: INestMicroservice | undefined;
    let app: INestApplication | undefined;
    try {
      app = await NestFactory.create(appModule(url), { logger: false });
      await app.init();
      const client = app.get(MeshClient);
      await expect(client.call('inproc', 'double', 1)).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      broker = await new EmbeddedBroker({ port }).start();
      service = await NestFactory.createMicroservice(appModule(url), { ...meshMicroservice({ servers: url }), logger: false });
      await service.listen();
      // a new connection: the reply inbox subscribes on it
      await expect(eventually(() => client.call('inproc', 'double', 2))).resolves.toBe(4);
      await broker.close();
      broker = await new EmbeddedBroker({ port }).start();
      // the same connection, reconnected: nats.js subscribes the inbox again
      await expect(eventually(() => client.call('inproc', 'double', 3))).resolves.toBe(6);
    } finally {
      await app?.close();
      await service?.close();
      await broker?.close();
    }
  });
});
