import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { IsInt, IsString } from 'class-validator';
import { connect, NatsConnection, RequestStrategy, ServiceInfo } from 'nats';
import { PARAMS_METADATA_KEY } from '@nest-mesh/wire';
import { MeshFunction, meshMicroservice, MeshService } from 'nest-mesh';
import { paramsSchemaOf } from 'nest-mesh/internal';

/**
 * What MeshServer announces in ADR-32 INFO (docs/discovery.md): each function's params schema
 * under `nest-mesh.params`, none for a function without a DTO, and none (with one warning) for a
 * schema over 8 KiB. Read back with a plain nats.js service client, as any tool would.
 */
class Small {
  @IsString()
  name!: string;
}

/** A DTO whose schema is far over 8 KiB: 300 documented properties. */
class Huge {}
for (let i = 0; i < 300; i++) {
  IsInt({ message: 'x' })(Huge.prototype, `property_with_a_long_name_${i}`);
}

@MeshService('announce')
class AnnounceService {
  @MeshFunction('small')
  small(params: Small) {
    return params;
  }

  @MeshFunction('loose')
  loose(params: unknown) {
    return params;
  }

  @MeshFunction('huge')
  huge(params: Huge) {
    return params;
  }
}

@Module({ controllers: [AnnounceService] })
class AnnounceModule {}

describe('params schemas in ADR-32 INFO', () => {
  let broker: EmbeddedBroker;
  let service: INestMicroservice;
  let nc: NatsConnection;
  const warnings: string[] = [];

  beforeAll(async () => {
    broker = await new EmbeddedBroker({ port: 0 }).start();
    const logger = { log: () => undefined, error: () => undefined, warn: (m: unknown) => warnings.push(String(m)) };
    service = await NestFactory.createMicroservice(AnnounceModule, { ...meshMicroservice({ servers: broker.url }), logger });
    await service.listen();
    nc = await connect({ servers: broker.url });
  });
  afterAll(async () => {
    await nc?.close();
    await service?.close();
    await broker?.close();
  });

  it('announces the DTO schema, nothing without a DTO, and nothing over 8 KiB (with one warning)', async () => {
    const infos: ServiceInfo[] = [];
    for await (const info of await nc.services.client({ strategy: RequestStrategy.Timer, maxWait: 2000 }).info('announce')) infos.push(info);
    expect(infos).toHaveLength(1);
    const endpoints = new Map(infos[0].endpoints.map((e) => [e.name, e]));
    expect(JSON.parse(endpoints.get('small')!.metadata![PARAMS_METADATA_KEY])).toEqual(paramsSchemaOf(Small));
    expect(endpoints.get('loose')!.metadata?.[PARAMS_METADATA_KEY]).toBeUndefined();
    expect(JSON.stringify(paramsSchemaOf(Huge)).length).toBeGreaterThan(8192);
    expect(endpoints.get('huge')!.metadata?.[PARAMS_METADATA_KEY]).toBeUndefined();
    expect(warnings.filter((w) => w.includes('announce.huge'))).toEqual([expect.stringMatching(/^announce\.huge: params schema of \d+ bytes is over 8192; not announced$/)]);
  });
});
