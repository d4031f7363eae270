import { INestMicroservice, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { MeshClient, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { CaptureLogger } from '../support/capture-logger';
import { freePort } from '../support/free-port';
import { until } from '../support/until';

/**
 * The mistakes a Nest developer makes that used to leave functions silently unserved, answered at
 * start-up (docs/getting-started.md#when-nothing-is-served).
 */

@MeshService('served')
class ServedService {
  @MeshFunction('ping')
  ping() {
    return 'pong';
  }
}

/** Named like a provider, listed as one. */
@MeshService('provided')
class ProvidedService {
  @MeshFunction('ping')
  ping() {
    return 'pong';
  }
}

/** @MeshFunction without @MeshService. */
class Forgotten {
  @MeshFunction('ping')
  ping() {
    return 'pong';
  }
}

@MeshService('twice')
class FirstTwice {
  @MeshFunction('get')
  get() {
    return 1;
  }
}

@MeshService('twice')
class SecondTwice {
  @MeshFunction('get')
  fetch() {
    return 2;
  }
}

describe('start-up checks of a mesh service app', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await new EmbeddedBroker({ port: 0 }).start();
  });
  afterAll(() => broker?.close());

  async function start(module: Type<unknown>, logger: CaptureLogger): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice(module, { ...meshMicroservice({ servers: broker.url }), logger });
    await app.listen();
    return app;
  }

  it('warns about a @MeshService listed in providers, naming the class and what to do; its functions answer 503', async () => {
    @Module({ imports: [MeshModule.forRoot({ servers: broker.url })], controllers: [ServedService], providers: [ProvidedService, Forgotten] })
    class AppModule {}
    const logger = new CaptureLogger();
    const app = await start(AppModule, logger);
    try {
      const warnings = logger.at('warn').map((line) => line.text);
      expect(warnings).toContain(
        "ProvidedService (@MeshService('provided')) is not served: no module lists it in its controllers. A mesh service is a Nest controller: list it in controllers, not providers",
      );
      expect(warnings).toContain(
        "Forgotten has @MeshFunction methods but no @MeshService, so none of them is served: put @MeshService('<service>') on the class and list it in a module's controllers",
      );
      expect(warnings.filter((text) => text.includes('ServedService'))).toEqual([]);
      const client = app.get(MeshClient);
      await expect(client.call('served', 'ping')).resolves.toBe('pong');
      await expect(client.call('provided', 'ping')).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await app.close();
    }
  });

  it('refuses to start when two classes serve the same <service>.<func>, naming both', async () => {
    @Module({ controllers: [FirstTwice, SecondTwice] })
    class AppModule {}
    const app = await NestFactory.createMicroservice(AppModule, { ...meshMicroservice({ servers: broker.url }), logger: false });
    try {
      await expect(app.listen()).rejects.toThrow(
        'mesh.twice.get is served by both FirstTwice.get() and SecondTwice.fetch(): a function has one handler; rename one of them (@MeshFunction or @MeshService)',
      );
    } finally {
      await app.close();
    }
  });

  it('says at once, and on every try, which broker it waits for; then serves once the broker is there', async () => {
    const port = await freePort();
    const servers = `nats://127.0.0.1:${port}`;
    @Module({ controllers: [ServedService] })
    class AppModule {}
    const logger = new CaptureLogger();
    const app = await NestFactory.createMicroservice(AppModule, { ...meshMicroservice({ servers, reconnectTimeWait: 100 }), logger });
    const listening = app.listen();
    let late: EmbeddedBroker | undefined;
    try {
      await until(() => logger.at('warn').filter((line) => line.text.startsWith(`waiting for the broker at ${servers}: `)).length >= 2, 10_000, 'two tries logged');
      expect(logger.at('log').map((line) => line.text)).toContain(`connecting to the broker at ${servers}`);
      late = await new EmbeddedBroker({ port }).start();
      await listening;
      expect(logger.at('log').map((line) => line.text)).toContain(`connected to the broker at 127.0.0.1:${port}`);
    } finally {
      await app.close();
      await late?.close();
    }
  });

  it('stops waiting when closed: listen() rejects instead of hanging', async () => {
    @Module({ controllers: [ServedService] })
    class AppModule {}
    const logger = new CaptureLogger();
    const servers = `nats://127.0.0.1:${await freePort()}`;
    const app = await NestFactory.createMicroservice(AppModule, { ...meshMicroservice({ servers, reconnectTimeWait: 60_000 }), logger });
    const listening = app.listen();
    await until(() => logger.at('warn').length > 0, 10_000, 'the first try logged');
    await app.close();
    await expect(listening).rejects.toThrow('closed before the broker could be reached');
  });

  it('refuses an http:// URL as a configuration error, for serving and for calling', async () => {
    @Module({ controllers: [ServedService] })
    class ServingModule {}
    const serving = await NestFactory.createMicroservice(ServingModule, { ...meshMicroservice({ servers: 'http://127.0.0.1:4122' }), logger: false });
    await expect(serving.listen()).rejects.toThrow(/^servers: "http:\/\/127\.0\.0\.1:4122" is not a NATS URL: give the broker's nats:\/\/host:port/);
    await serving.close();

    @Module({ imports: [MeshModule.forRoot({ servers: ['nats://127.0.0.1:4222', 'https://gateway.example.com'] })] })
    class CallingModule {}
    const calling = await NestFactory.createApplicationContext(CallingModule, { logger: false, abortOnError: false }).catch((error: Error) => error);
    const failure = calling instanceof Error ? calling : await calling.init().then(() => undefined, (error: Error) => error);
    expect(failure?.message).toMatch(/^servers: "https:\/\/gateway\.example\.com" is not a NATS URL/);
    if (!(calling instanceof Error)) await calling.close();
  });
});
