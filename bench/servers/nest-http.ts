/**
 * (d) the framework ceiling: a plain Nest controller answering the same echo as the gateway
 * (`POST /echo` with `{"params"}` -> `{"result": params}`), on express or fastify (env ADAPTER), port PORT.
 * Prints "ready <url>".
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, INestApplication, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';

@Controller()
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: { params?: unknown }): { result: unknown } {
    return { result: body?.params ?? null };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  const logger: ['error', 'warn'] = ['error', 'warn'];
  let app: INestApplication;
  if (process.env.ADAPTER === 'fastify') {
    app = await NestFactory.create(EchoModule, new FastifyAdapter(), { logger });
  } else {
    const express = await NestFactory.create<NestExpressApplication>(EchoModule, new ExpressAdapter(), { logger });
    express.disable('x-powered-by');
    express.set('etag', false);
    app = express;
  }
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`ready http://127.0.0.1:${port}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`nest http: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
