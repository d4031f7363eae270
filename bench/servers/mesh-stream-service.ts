/**
 * `npm run bench:streams`: the streaming mesh service behind the gateway: service `bench`,
 * function `items` yielding `params` items of about 100 bytes (an async generator). Env
 * MESH_SERVERS. Prints "ready" when serving. Imports the library by relative path (bench/support/compile.ts).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MeshFunction, meshMicroservice, MeshService } from '../../libs/mesh/src';

const PAD = 'x'.repeat(90);

@MeshService('bench')
class StreamBenchService {
  @MeshFunction('items')
  async *items(count: number) {
    for (let n = 1; n <= count; n++) yield { n, pad: PAD };
  }
}

@Module({ controllers: [StreamBenchService] })
class StreamBenchModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice(StreamBenchModule, { ...meshMicroservice({ servers: process.env.MESH_SERVERS ?? '' }), logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen();
  process.stdout.write('ready\n');
}

main().catch((error: Error) => {
  process.stderr.write(`bench stream service: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
