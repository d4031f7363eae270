import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshContext, MeshError, MeshFunction, meshMicroservice, MeshService } from 'nest-mesh';
import { MeshHttpError } from 'nest-mesh/client';
import { createTestingMesh, TestingMesh } from 'nest-mesh/testing';
import { ADAPTERS, JWT_SECRET, post } from '../support/mesh';
import { rejectionOf } from '../support/rejection';
import { signToken } from '../support/tokens';
import { until } from '../support/until';

@MeshService('greeter')
class Greeter {
  @MeshFunction('hello')
  hello(params: { name: string }, ctx: MeshContext) {
    return { greeting: `hello ${params.name}`, requestId: ctx.requestId, by: ctx.auth?.sub ?? null };
  }

  @MeshFunction('refuse')
  refuse(): never {
    throw new MeshError(409, 'already there', 'ALREADY_THERE');
  }
}

@Module({ controllers: [Greeter] })
class ServiceModule {}

const received: unknown[] = [];

@MeshService('inbox')
class Inbox {
  @MeshFunction('receive')
  receive(params: unknown) {
    received.push(params);
  }
}

@Module({ controllers: [Inbox] })
class InboxModule {}

/** Whether something accepts TCP connections at `host:port`. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

const hostAndPort = (url: string) => {
  const { hostname, port } = new URL(url);
  return [hostname, Number(port)] as const;
};

for (const adapter of ADAPTERS) {
  describe(`createTestingMesh, a gateway and broker in the test's process (${adapter})`, () => {
    let mesh: TestingMesh;
    let service: INestMicroservice;

    beforeAll(async () => {
      mesh = await createTestingMesh({
        secret: JWT_SECRET,
        http: { adapter },
        modules: { functions: { rules: { greeter: { hello: { rule: 'authenticated' }, refuse: { rule: 'allow' } } } } },
      });
      service = await NestFactory.createMicroservice(ServiceModule, { ...meshMicroservice({ servers: mesh.servers }), logger: false });
      await service.listen();
    });

    afterAll(async () => {
      await service?.close();
      await mesh?.close();
    });

    it('listens on free loopback ports (never 4222) and gives the service the broker URL', () => {
      const [host, port] = hostAndPort(mesh.url);
      const [brokerHost, brokerPort] = hostAndPort(mesh.servers);
      expect([new URL(mesh.url).protocol, host, new URL(mesh.servers).protocol, brokerHost]).toEqual(['http:', '127.0.0.1', 'nats:', '127.0.0.1']);
      expect(port).toBeGreaterThan(0);
      expect(brokerPort).toBeGreaterThan(0);
      expect([port, brokerPort]).not.toContain(4222);
    });

    it("calls a function through the gateway and its rules, with the caller's token and request id", async () => {
      const token = await signToken({ sub: 'ada' });
      await expect(mesh.call('greeter', 'hello', { name: 'Ada' }, { token, requestId: 'req-1' })).resolves.toEqual({ greeting: 'hello Ada', requestId: 'req-1', by: 'ada' });
      const refused = await rejectionOf(mesh.call('greeter', 'hello', { name: 'Ada' }, { requestId: 'req-2' }), MeshHttpError);
      expect(refused.toJSON()).toEqual({ status: 401, code: 'UNAUTHENTICATED', message: expect.any(String), requestId: 'req-2' });
      const badToken = await signToken({ sub: 'ada' }, { secret: 'another-secret-of-at-least-32-bytes!!' });
      await expect(mesh.call('greeter', 'hello', { name: 'Ada' }, { token: badToken })).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      // No rule names greeter.other: the gateway refuses it.
      await expect(mesh.call('greeter', 'other')).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
    });

    it("rejects with the function's own status, code and message", async () => {
      const error = await rejectionOf(mesh.call('greeter', 'refuse'), MeshHttpError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ status: 409, code: 'ALREADY_THERE', message: 'already there', requestId: expect.any(String) });
    });
  });
}

describe('createTestingMesh', () => {
  it('allows every function when the config has no rules', async () => {
    const mesh = await createTestingMesh();
    try {
      // Past the rules (not 403 FORBIDDEN): nothing serves it.
      await expect(mesh.call('any', 'thing')).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await mesh.close();
    }
  });

  it('stops the gateway and the broker on close(), which may be called again', async () => {
    const mesh = await createTestingMesh({ http: { adapter: 'fastify' } });
    const [host, port] = hostAndPort(mesh.url);
    const [brokerHost, brokerPort] = hostAndPort(mesh.servers);
    expect([await listening(host, port), await listening(brokerHost, brokerPort)]).toEqual([true, true]);
    await mesh.close();
    expect([await listening(host, port), await listening(brokerHost, brokerPort)]).toEqual([false, false]);
    await expect(mesh.close()).resolves.toBeUndefined();
    await expect(mesh.call('any', 'thing')).rejects.toMatchObject({ status: 0, code: 'UNAVAILABLE' });
  });

  it('gives meshes started side by side their own ports', async () => {
    const meshes = await Promise.all([createTestingMesh(), createTestingMesh()]);
    try {
      expect(new Set(meshes.flatMap((mesh) => [mesh.url, mesh.servers])).size).toBe(4);
    } finally {
      await Promise.all(meshes.map((mesh) => mesh.close()));
    }
  });

  it("logs only warnings and errors, unless the config's log.level asks for more", async () => {
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((text) => written.push(String(text)) > 0);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((text) => written.push(String(text)) > 0);
    try {
      const quiet = await createTestingMesh();
      await quiet.call('any', 'thing').catch(() => undefined);
      await quiet.close();
      const quietLines = written.splice(0);
      const loud = await createTestingMesh({ log: { level: 'log' } });
      await loud.close();
      expect(quietLines.filter((line) => line.includes('[Nest]'))).toEqual([]);
      const loudText = written.join('').replace(/\x1b\[[0-9;]*m/g, ''); // without the colours of a terminal
      expect(loudText).toMatch(/\[Gateway\] gateway for project "test" listening on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it('keeps the events of eventing without a store in a folder of its own, which close() removes', async () => {
    const eventFolders = () => readdirSync(tmpdir()).filter((name) => name.startsWith('nest-mesh-testing-'));
    const before = new Set(eventFolders());
    const mesh = await createTestingMesh({
      modules: {
        eventing: { enabled: true, triggers: { welcome: { on: { event: 'user.signup' }, call: { service: 'inbox', func: 'receive' } } }, rules: { default: { rule: 'allow' } } },
      },
    });
    const service = await NestFactory.createMicroservice(InboxModule, { ...meshMicroservice({ servers: mesh.servers }), logger: false });
    let made: string[];
    try {
      await service.listen();
      const queued = await post(`${mesh.url}/v1/api/test/eventing/queue`, { type: 'user.signup', payload: { email: 'ada@example.com' }, id: 'signup-1' });
      expect(queued).toMatchObject({ status: 202, body: { id: 'signup-1' } });
      await until(() => received.length > 0, 20_000, 'the trigger called inbox.receive');
      expect(received).toEqual([expect.objectContaining({ id: 'signup-1', type: 'user.signup', payload: { email: 'ada@example.com' } })]);
      made = eventFolders().filter((name) => !before.has(name));
      expect(made).toHaveLength(1);
    } finally {
      await service.close();
      await mesh.close();
    }
    expect(existsSync(join(tmpdir(), made[0]))).toBe(false);
  });

  it('rejects a config the gateway would refuse, naming the path', async () => {
    await expect(createTestingMesh({ modules: { functions: { rules: { users: { create: { rule: 'alow' } } } } } })).rejects.toThrow(
      'modules.functions.rules.users.create.rule: unknown rule "alow"',
    );
  });
});

describe('docs/testing.md', () => {
  const example = join(__dirname, 'example');
  const filesOf = (dir: string): string[] =>
    readdirSync(join(example, dir), { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesOf(join(dir, entry.name)) : [join(dir, entry.name)]));

  it('shows every file of the example app, as the tests run it', () => {
    const text = readFileSync(join(__dirname, '../../docs/testing.md'), 'utf8');
    // A shown file is a ```ts block whose first line names it: `// src/users.service.ts`.
    const shown = [...text.matchAll(/^```ts\n(\/\/ ((?:src|test)\/\S+)\n[\s\S]*?)^```$/gm)].map(([, block, path]) => ({ path, block }));
    expect(shown.map(({ path }) => path).sort()).toEqual(filesOf('.').sort());
    for (const { path, block } of shown) expect(block).toBe(readFileSync(join(example, path), 'utf8'));
  });
});
