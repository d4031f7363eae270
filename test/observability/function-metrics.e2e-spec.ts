/**
 * A service app records `mesh_function_*` in its own prom-client registry: the default one, so
 * that the app's existing /metrics shows them with no extra code, or the one given in the options.
 */
import 'reflect-metadata';
import { Controller, Get, INestApplication, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Response } from 'express';
import { connect, NatsConnection, StringCodec } from 'nats';
import { register, Registry } from 'prom-client';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { MeshError, MeshFunction, meshMicroservice, MeshService } from 'nest-mesh';
import { BROKERS } from '../support/mesh';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';

jest.setTimeout(60_000);

/** What an app that already serves Prometheus metrics has: /metrics from prom-client's default registry. */
@Controller()
class MetricsController {
  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response.type(register.contentType).send(await register.metrics());
  }
}

function shopOf(name: string) {
  @MeshService(name)
  class Shop {
    @MeshFunction('buy')
    buy(params: { fail?: boolean }): { ok: true } {
      if (params?.fail) throw new MeshError(409, 'sold out', 'SOLD_OUT');
      return { ok: true };
    }
  }
  return Shop;
}

const sc = StringCodec();

for (const kind of BROKERS) {
  (kind === 'nats-server' ? describeWithNatsServer : describe)(`service metrics (${kind})`, () => {
    let stopBroker: () => Promise<void>;
    let servers: string;
    let caller: NatsConnection;
    const apps: INestApplication[] = [];

    beforeAll(async () => {
      if (kind === 'nats-server') {
        const nats = await new NatsServerProcess().start();
        servers = nats.url;
        stopBroker = () => nats.stop();
      } else {
        const broker = await new EmbeddedBroker({ port: 0 }).start();
        servers = broker.url;
        stopBroker = () => broker.close();
      }
      caller = await connect({ servers });
    });
    afterAll(async () => {
      await caller?.close();
      for (const app of apps) await app.close();
      await stopBroker?.();
    });

    async function serve(service: string, registry?: Registry): Promise<INestApplication> {
      @Module({ controllers: [MetricsController, shopOf(service)] })
      class ShopModule {}
      const app = await NestFactory.create(ShopModule, { logger: ['error'] });
      app.connectMicroservice(meshMicroservice({ servers, registry }));
      apps.push(app);
      await app.startAllMicroservices();
      await app.listen(0, '127.0.0.1');
      return app;
    }

    async function buy(service: string, fail: boolean): Promise<void> {
      await caller.request(`mesh.${service}.buy`, sc.encode(JSON.stringify({ fail })), { timeout: 10_000 });
    }

    it('shows them on the app\'s own /metrics (the default registry) with no extra code', async () => {
      const service = `shop-${kind}`;
      const app = await serve(service);
      await buy(service, false);
      await buy(service, false);
      await buy(service, true);
      const response = await fetch(`${await app.getUrl()}/metrics`, { signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      expect(text).toContain(`mesh_function_calls_total{service="${service}",func="buy",status="200"} 2`);
      expect(text).toContain(`mesh_function_calls_total{service="${service}",func="buy",status="409"} 1`);
      expect(text).toContain(`mesh_function_duration_seconds_count{service="${service}",func="buy"} 3`);
      expect(text).toContain('# TYPE mesh_function_duration_seconds histogram');
    });

    it('uses the registry given in the options instead', async () => {
      const service = `own-${kind}`;
      const registry = new Registry();
      await serve(service, registry);
      await buy(service, false);
      expect(await registry.metrics()).toContain(`mesh_function_calls_total{service="${service}",func="buy",status="200"} 1`);
      expect(await register.metrics()).not.toContain(`service="${service}"`);
    });
  });
}
