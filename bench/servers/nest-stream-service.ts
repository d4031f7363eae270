/**
 * `npm run bench:streams`, the peer: a plain Nest microservice on `Transport.NATS` whose
 * `@MessagePattern('bench.items')` returns an Observable of `count` items of about 100 bytes, as a
 * `ClientProxy.send` reads it. Env NATS_URL. Prints "ready" when serving.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Transport } from '@nestjs/microservices';
import { map, range } from 'rxjs';

const PAD = 'x'.repeat(90);

@Controller()
class ItemsController {
  @MessagePattern('bench.items')
  items(count: number) {
    return range(1, count).pipe(map((n) => ({ n, pad: PAD })));
  }
}

@Module({ controllers: [ItemsController] })
class NestStreamModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createMicroservice(NestStreamModule, { transport: Transport.NATS, options: { servers: [process.env.NATS_URL ?? ''] }, logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen();
  process.stdout.write('ready\n');
}

main().catch((error: Error) => {
  process.stderr.write(`nest stream service: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
