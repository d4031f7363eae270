import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { MeshClient, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { CaptureLogger } from '../support/capture-logger';

/**
 * An HTTP app that also serves mesh functions (docs/getting-started.md#2-the-module-and-the-process):
 * its @MeshService classes are no HTTP controllers, and the app's global enhancers apply to mesh
 * calls when the microservice inherits the app's configuration (`inheritAppConfig: true`).
 */

class Refused extends Error {}

@MeshService('hybrid')
class HybridService {
  @MeshFunction('refuse')
  refuse(): never {
    throw new Refused('no');
  }
}

@Controller('health')
class HealthController {
  @Get()
  health() {
    return { ok: true };
  }
}

/** A global filter of the app: answers a Refused for HTTP and mesh calls alike. */
@Catch(Refused)
class RefusedFilter implements ExceptionFilter {
  catch(_: Refused, host: ArgumentsHost) {
    return { handledBy: `app filter (${host.getType()})` };
  }
}

describe('a hybrid app (HTTP and mesh)', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await new EmbeddedBroker({ port: 0 }).start();
  });
  afterAll(() => broker?.close());

  async function hybrid(inheritAppConfig: boolean, test: (app: INestApplication, logger: CaptureLogger) => Promise<void>): Promise<void> {
    @Module({ imports: [MeshModule.forRoot({ servers: broker.url })], controllers: [HybridService, HealthController] })
    class AppModule {}
    const logger = new CaptureLogger();
    const app = await NestFactory.create(AppModule, { logger });
    app.useGlobalFilters(new RefusedFilter());
    app.connectMicroservice(meshMicroservice({ servers: broker.url }), { inheritAppConfig });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    try {
      await test(app, logger);
    } finally {
      await app.close();
    }
  }

  it('maps the HTTP routes of its controllers only: a @MeshService is not in the routes log', async () => {
    await hybrid(true, async (_, logger) => {
      const routes = logger.lines.filter((line) => line.context === 'RoutesResolver' || line.context === 'RouterExplorer').map((line) => line.text);
      expect(routes).toContain('HealthController {/health}:');
      expect(routes.filter((text) => text.includes('HybridService'))).toEqual([]);
    });
  });

  it("applies the app's global filters to mesh calls with inheritAppConfig: true, and not without (Nest's default)", async () => {
    await hybrid(true, async (app) => {
      await expect(app.get(MeshClient).call('hybrid', 'refuse')).resolves.toEqual({ handledBy: 'app filter (rpc)' });
    });
    await hybrid(false, async (app) => {
      await expect(app.get(MeshClient).call('hybrid', 'refuse')).rejects.toMatchObject({ status: 500, code: 'INTERNAL', message: 'function hybrid.refuse failed' });
    });
  });
});
