/**
 * (a)/(b) the Nest service behind the gateway: service `bench`, function `echo` returning its params.
 * Env MESH_SERVERS; MESH_USER/MESH_PASS to log in as a service identity; MESH_JWKS (the gateway's
 * JWKS URL) and MESH_AUDIENCE to verify every call's Mesh-Token. Prints "ready" when serving. Imports the library by relative path so that the
 * benchmarks can run it compiled (see bench/support/compile.ts).
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MeshFunction, meshMicroservice, MeshService } from '../../libs/mesh/src';

@MeshService('bench')
class BenchService {
  @MeshFunction('echo')
  echo(params: unknown): unknown {
    return params;
  }
}

@Module({ controllers: [BenchService] })
class BenchModule {}

async function main(): Promise<void> {
  const env = process.env;
  const servers = env.MESH_SERVERS ?? '';
  const login = env.MESH_USER ? { user: env.MESH_USER, pass: env.MESH_PASS } : {};
  const verify = env.MESH_JWKS ? { verify: { jwks: env.MESH_JWKS, audience: env.MESH_AUDIENCE ?? '' } } : {};
  const app = await NestFactory.createMicroservice(BenchModule, { ...meshMicroservice({ servers, ...login, ...verify }), logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen();
  process.stdout.write('ready\n');
}

main().catch((error: Error) => {
  process.stderr.write(`bench service: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
