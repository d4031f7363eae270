import { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { lastValueFrom, toArray } from 'rxjs';
import { MeshClient, meshMicroservice } from 'nest-mesh';
import { CaptureLogger } from '../support/capture-logger';
import { writeConfig } from '../support/config-file';
import { freePort } from '../support/free-port';
import { ADAPTERS, BROKERS, JWT_SECRET, post, startGateway } from '../support/mesh';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { TestProcess } from '../support/child';
import { errorsModule, Outcome, ROWS, UseGlobalFilter } from '../fixtures/nest-errors-service';

/**
 * What a mesh function's guards, pipes, interceptors, filters and exceptions give its callers, as
 * Nest means them (docs/getting-started.md#errors): row by row, through the gateway (HTTP status
 * and `{error, code}`), through MeshClient (a MeshError) and through a Nest ClientProxy with
 * Transport.NATS (its Observable's error, `{status, code, message}`), on both brokers and both HTTP
 * adapters; and what the service logs for each (an error only for "anything else").
 */
const variants = BROKERS.flatMap((kind) => ADAPTERS.map((adapter) => ({ kind, adapter })));

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`errors of a mesh function, as in Nest (${kind}, ${adapter})`, () => {
    let nats: NatsServerProcess | undefined;
    let gateway: TestProcess;
    let url: string;
    let service: INestMicroservice;
    let client: MeshClient;
    let nest: ClientProxy;
    const logger = new CaptureLogger();

    beforeAll(async () => {
      let broker: Record<string, unknown>;
      if (kind === 'nats-server') {
        nats = await new NatsServerProcess().start();
        broker = { conn: nats.url };
      } else {
        broker = { embedded: { host: '127.0.0.1', port: await freePort() } };
      }
      const config = writeConfig({
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        http: { adapter },
        modules: { functions: { ...broker, rules: { errors: { default: { rule: 'allow' } } } } },
      });
      const started = await startGateway(config);
      gateway = started.process;
      url = started.url;
      service = await NestFactory.createMicroservice(errorsModule(started.brokerUrl), { ...meshMicroservice({ servers: started.brokerUrl }), logger });
      service.useGlobalFilters(new UseGlobalFilter());
      await service.listen();
      client = service.get(MeshClient);
      nest = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [started.brokerUrl] } });
      await nest.connect();
    });
    afterAll(async () => {
      await nest?.close();
      await service?.close();
      await gateway?.stop();
      await nats?.stop();
    });

    it('starts without warnings', () => {
      expect(logger.at('warn')).toEqual([]);
      expect(logger.at('error')).toEqual([]);
    });

    describe.each(ROWS.map((row) => [`${row.func} ${JSON.stringify(row.params ?? null)}`, row] as const))('%s', (_, row) => {
      const expectLogs = (from: number) => {
        const errors = logger.at('error', from).map((line) => line.text);
        if (row.logs) {
          expect(errors).toHaveLength(1);
          expect(errors[0]).toMatch(row.logs);
        } else {
          expect(errors).toEqual([]);
        }
      };

      it('through the gateway', async () => {
        const from = logger.lines.length;
        const answer = await post(`${url}/v1/api/demo/functions/errors/${row.func}`, { params: row.params ?? null });
        expect({ status: answer.status, body: answer.body }).toEqual(httpOf(row.outcome));
        expect(answer.text).not.toMatch(/secret|\.ts:|    at /);
        expectLogs(from);
      });

      it('through MeshClient', async () => {
        const from = logger.lines.length;
        const outcome = await client.call('errors', row.func, row.params ?? null).then(
          (result) => ({ result }),
          (error) => ({ status: error.status, code: error.code, message: error.message, name: error.name }),
        );
        expect(outcome).toEqual('result' in row.outcome ? row.outcome : { ...row.outcome, name: 'MeshError' });
        expectLogs(from);
      });

      // A Nest caller sends no Mesh-Request-Id (the `context` row), and cannot send null params (Nest refuses them).
      if (row.func !== 'context') {
        it('through a Nest ClientProxy (Transport.NATS)', async () => {
          const from = logger.lines.length;
          const outcome = await lastValueFrom(nest.send(`mesh.errors.${row.func}`, row.params ?? {}).pipe(toArray())).then(
            (results) => ({ results }),
            (error) => error,
          );
          expect(outcome).toEqual('result' in row.outcome ? { results: [row.outcome.result] } : row.outcome);
          expectLogs(from);
        });
      }
    });
  });
}

function httpOf(outcome: Outcome): { status: number; body: unknown } {
  return 'result' in outcome ? { status: 200, body: { result: outcome.result } } : { status: outcome.status, body: { error: outcome.message, code: outcome.code } };
}
