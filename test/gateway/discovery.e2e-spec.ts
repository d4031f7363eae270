import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { connect, NatsConnection, StringCodec } from 'nats';
import { TestProcess } from '../support/child';
import { describeWithNatsServer } from '../support/nats-server';
import { GATEWAY_MAIN, get, Mesh, startMesh } from '../support/mesh';
import { valueWhen } from '../support/until';

/**
 * Discovery at the gateway (docs/discovery.md): the services listing and the OpenAPI document,
 * from the services' $SRV answers, on both brokers and both HTTP adapters (paired: the embedded broker
 * with fastify, the defaults, and nats-server with express); what garbage,
 * oversized, deep or half answers on the wire do (nothing bad); and what a client that announces
 * itself as a service's instance can change (not what the instances seen first announce).
 */
const variants = [
  { kind: 'embedded' as const, adapter: 'fastify' as const },
  { kind: 'nats-server' as const, adapter: 'express' as const },
];

const RULES = {
  test: {
    echo: { rule: 'allow' },
    signup: { rule: 'allow' },
    whoami: { rule: 'authenticated' },
    relay: { rule: 'or', clauses: [{ rule: 'authenticated' }, { rule: 'match', eval: '==', type: 'string', f1: 'args.params.x', f2: 'y' }] },
    crash: { rule: 'deny' },
  },
  huge: { default: { rule: 'allow' } },
  hostile: { default: { rule: 'allow' } },
  legacy: { add: { rule: 'allow' } },
};

const SIGNUP_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    email: { type: 'string', format: 'email' },
    age: { type: 'integer', minimum: 13 },
    address: { $ref: '#/$defs/Address' },
  },
  required: ['email', 'age'],
  $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A JSON object nested `depth` levels deep, as text: `{"a":{"a":...{}}}`. */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

/** Polls the listing until `accept` holds (the cache and the deadline make changes show up late). */
async function listingWhen(mesh: Mesh, accept: (body: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const listing = () => get(`${mesh.url}/v1/api/demo/services`);
  return (await valueWhen('the listing as expected', listing, (res) => res.status === 200 && accept(res.body), timeoutMs)).body;
}

const serviceOf = (body: any, name: string) => body.services.find((s: any) => s.name === name);

for (const { kind, adapter } of variants) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`discovery and OpenAPI (${kind}, ${adapter})`, () => {
    let mesh: Mesh;
    const raw: NatsConnection[] = [];

    beforeAll(async () => {
      mesh = await startMesh(kind, { rules: RULES, adapter, config: { console: { enabled: true } } });
    });
    afterAll(async () => {
      for (const nc of raw) await nc.close().catch(() => undefined);
      await mesh?.stop();
    });

    it('lists the services and the functions a rule can allow, with their params schemas', async () => {
      const body = await listingWhen(mesh, (b) => serviceOf(b, 'test') !== undefined);
      expect(body.services.map((s: any) => s.name)).toEqual(['test']); // guard and gated: no rule allows any of theirs
      expect(serviceOf(body, 'test')).toEqual({
        name: 'test',
        version: '1.0.0',
        instances: 1,
        functions: [
          { name: 'echo', params: null },
          { name: 'relay', params: null },
          { name: 'signup', params: SIGNUP_SCHEMA },
          { name: 'whoami', params: null },
        ],
      });
      const res = await get(`${mesh.url}/v1/api/demo/services`);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-request-id')).toBeTruthy();
    });

    it('serves an OpenAPI 3.1 document of the same functions that a validator accepts', async () => {
      await listingWhen(mesh, (b) => serviceOf(b, 'test') !== undefined);
      const res = await get(`${mesh.url}/v1/api/demo/openapi.json`);
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(await validate(structuredClone(doc))).toMatchObject({ valid: true });
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(['echo', 'relay', 'signup', 'whoami'].map((f) => `/v1/api/demo/functions/test/${f}`));
      const signup = doc.paths['/v1/api/demo/functions/test/signup'].post;
      expect(signup.requestBody.content['application/json'].schema).toMatchObject({
        properties: {
          params: { type: 'object', required: ['email', 'age'], properties: { address: { $ref: '#/components/schemas/test.signup.Address' } } },
          timeout: { type: 'integer', minimum: 1, maximum: 60000 },
        },
        required: ['params'],
      });
      expect(signup.security).toBeUndefined();
      expect(doc.paths['/v1/api/demo/functions/test/whoami'].post.security).toEqual([{ bearer: [] }]);
      expect(doc.paths['/v1/api/demo/functions/test/relay'].post.security).toEqual([{ bearer: [] }, {}]);
      expect(doc.paths['/v1/api/demo/functions/test/echo'].post.responses['200'].content['application/json'].schema.required).toEqual(['result']);
      expect(signup.responses['200'].content['application/json'].schema.properties.result).toEqual({
        type: 'object',
        properties: { welcome: { type: 'string' }, isSignup: { type: 'boolean' } },
        required: ['welcome', 'isSignup'],
      });
    });

    it('writes with nest-mesh types the result type a function declares (@MeshFunction(name, { result }))', async () => {
      await listingWhen(mesh, (b) => serviceOf(b, 'test') !== undefined);
      const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-types-'));
      try {
        const out = join(dir, 'mesh-types.d.ts');
        const types = await TestProcess.run('nest-mesh types', process.execPath, [GATEWAY_MAIN, 'types', '--url', mesh.url, '--project', 'demo', '--out', out], { timeoutMs: 30_000 });
        expect(types).toMatchObject({ code: 0 });
        const written = readFileSync(out, 'utf8');
        expect(written).toContain('      result: {\n        welcome: string;\n        isSignup: boolean;\n      };\n    };\n    "whoami": {');
        expect(written).toContain('    "echo": {\n      params: unknown;\n      result: unknown;\n    };');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers 404 PROJECT_NOT_FOUND for another project', async () => {
      for (const route of ['services', 'openapi.json']) {
        const res = await get(`${mesh.url}/v1/api/other/${route}`);
        expect(res).toMatchObject({ status: 404, body: { code: 'PROJECT_NOT_FOUND' } });
      }
    });

    it('makes one discovery round for many requests at once', async () => {
      const monitor = await connect({ servers: mesh.brokerUrl, name: 'discovery monitor' });
      raw.push(monitor);
      let rounds = 0;
      monitor.subscribe('$SRV.INFO', { callback: () => rounds++ });
      await monitor.flush();
      await sleep(3500); // the cached round has expired
      const answers = await Promise.all(Array.from({ length: 30 }, () => get(`${mesh.url}/v1/api/demo/services`)));
      expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
      await monitor.flush();
      expect(rounds).toBeGreaterThanOrEqual(1);
      expect(rounds).toBeLessThanOrEqual(2);
    });

    describe('when another client announces itself as an instance of a service', () => {
      const EVIL = { type: 'object', properties: { evil: { type: 'string' } }, required: ['evil'] };
      let impostor: NatsConnection | undefined;
      let dir: string | undefined;

      beforeAll(async () => {
        await listingWhen(mesh, (b) => serviceOf(b, 'test') !== undefined); // the real instance is seen first
        impostor = await connect({ servers: mesh.brokerUrl, name: 'impostor' });
        const identity = { name: 'test', id: 'impostor-1', version: '9.9.9' };
        const endpoints = ['echo', 'relay', 'signup', 'whoami'].map((func) => ({
          name: func,
          subject: `mesh.test.${func}`,
          queue_group: 'q',
          metadata: func === 'signup' ? { 'nest-mesh.params': JSON.stringify(EVIL) } : null,
        }));
        const answers: Record<string, unknown> = {
          PING: { type: 'io.nats.micro.v1.ping_response', ...identity },
          INFO: { type: 'io.nats.micro.v1.info_response', ...identity, description: '', metadata: {}, endpoints },
          STATS: { type: 'io.nats.micro.v1.stats_response', ...identity, started: new Date().toISOString(), endpoints: endpoints.map(({ name, subject }) => ({ name, subject, num_requests: 0 })) },
        };
        const codec = StringCodec();
        for (const [verb, body] of Object.entries(answers)) impostor.subscribe(`$SRV.${verb}`, { callback: (_, msg) => msg.respond(codec.encode(JSON.stringify(body))) });
        await impostor.flush();
      });
      afterAll(async () => {
        await impostor?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it('keeps the listing, OpenAPI and nest-mesh types on what the instance seen first announces (a tie), and flags the conflict', async () => {
        const body = await listingWhen(mesh, (b) => serviceOf(b, 'test')?.instances === 2);
        const test = serviceOf(body, 'test');
        expect(test.version).toBe('1.0.0');
        expect(test.versionConflicts).toEqual([
          { version: '1.0.0', instances: [expect.any(String)] },
          { version: '9.9.9', instances: ['impostor-1'] },
        ]);
        const signup = test.functions.find((f: any) => f.name === 'signup');
        expect(signup.params).toEqual(SIGNUP_SCHEMA);
        expect(signup.conflicts).toEqual([
          { params: SIGNUP_SCHEMA, instances: [expect.any(String)] },
          { params: EVIL, instances: ['impostor-1'] },
        ]);

        const doc = (await get(`${mesh.url}/v1/api/demo/openapi.json`)).body;
        expect(doc.tags.find((t: any) => t.name === 'test').description).toBe('service test 1.0.0 (instances announce 2 versions; this is the one most of them announce)');
        expect(doc.paths['/v1/api/demo/functions/test/signup'].post.requestBody.content['application/json'].schema.properties.params.required).toEqual(['email', 'age']);

        dir = mkdtempSync(join(tmpdir(), 'nest-mesh-types-'));
        const out = join(dir, 'mesh-types.d.ts');
        const types = await TestProcess.run('nest-mesh types', process.execPath, [GATEWAY_MAIN, 'types', '--url', mesh.url, '--project', 'demo', '--out', out], { timeoutMs: 30_000 });
        expect(types).toMatchObject({ code: 0 });
        const written = readFileSync(out, 'utf8');
        expect(written).toMatch(/email: string;/);
        expect(written).not.toMatch(/evil/);
      });
    });

    describe('with a service of the earlier micro API (nats.go before 1.24)', () => {
      let legacy: NatsConnection | undefined;

      beforeAll(async () => {
        // As nats.go 1.22's micro answers: one endpoint, its subject at the top level of INFO, no `type`,
        // no `endpoints`; stats at the top level of STATS; the endpoint served in queue group q.
        legacy = await connect({ servers: mesh.brokerUrl, name: 'legacy service' });
        const codec = StringCodec();
        const identity = { name: 'legacy', id: 'old-1', version: '0.1.0' };
        let requests = 0;
        const answers: Record<string, () => unknown> = {
          PING: () => identity,
          INFO: () => ({ ...identity, description: 'adds', subject: 'mesh.legacy.add' }),
          STATS: () => ({ ...identity, num_requests: requests, num_errors: 0, last_error: '', processing_time: 0, average_processing_time: 0, started: '2023-01-01T00:00:00Z' }),
        };
        for (const [verb, body] of Object.entries(answers)) legacy.subscribe(`$SRV.${verb}`, { callback: (_, msg) => msg.respond(codec.encode(JSON.stringify(body()))) });
        legacy.subscribe('mesh.legacy.add', {
          queue: 'q',
          callback: (_, msg) => {
            requests++;
            const { a, b } = JSON.parse(codec.decode(msg.data));
            msg.respond(codec.encode(JSON.stringify(a + b)));
          },
        });
        await legacy.flush();
      });
      afterAll(() => legacy?.close());

      it('lists it with one function, named after the last token of its subject, which the gateway calls', async () => {
        const body = await listingWhen(mesh, (b) => serviceOf(b, 'legacy') !== undefined);
        expect(serviceOf(body, 'legacy')).toEqual({ name: 'legacy', version: '0.1.0', instances: 1, functions: [{ name: 'add', params: null }] });
        const doc = (await get(`${mesh.url}/v1/api/demo/openapi.json`)).body;
        expect(doc.paths['/v1/api/demo/functions/legacy/add'].post.operationId).toBe('legacy.add');
        expect(await mesh.call('/v1/api/demo/functions/legacy/add', { params: { a: 2, b: 3 } })).toMatchObject({ status: 200, body: { result: 5 } });
        const overview = (await get(`${mesh.url}/console/api/services`)).body;
        expect(overview.services.find((s: any) => s.name === 'legacy').instances).toEqual([
          { id: 'old-1', version: '0.1.0', info: true, started: '2023-01-01T00:00:00Z', stats: { add: expect.objectContaining({ errors: 0 }) } },
        ]);
      });
    });

    describe('with bad answers on the wire', () => {
      beforeAll(async () => {
        const codec = StringCodec();
        const answer = async (name: string, verbs: Record<string, string | (() => string)>) => {
          const nc = await connect({ servers: mesh.brokerUrl, name });
          raw.push(nc);
          for (const [verb, text] of Object.entries(verbs)) {
            nc.subscribe(`$SRV.${verb}`, { callback: (_, msg) => msg.respond(codec.encode(typeof text === 'string' ? text : text())) });
          }
          await nc.flush();
        };
        const garbage = { PING: 'not json', INFO: '[1,2,3]', STATS: '{"name":' };
        await answer('garbage', garbage);
        await answer('wrong shapes', { INFO: '{"name":"bad name!","id":"x"}', PING: '{"name":"test"}', STATS: 'null' });
        // ~900 KB of metadata: under the broker's payload limit, far over any sane schema.
        const hugeInfo = JSON.stringify({
          name: 'huge',
          id: 'huge-1',
          version: '1.0.0',
          metadata: { filler: 'y'.repeat(100_000) },
          endpoints: [{ name: 'f', subject: 'mesh.huge.f', metadata: { 'nest-mesh.params': 'x'.repeat(800_000) } }],
        });
        await answer('huge', { INFO: () => hugeInfo, PING: '{"name":"huge","id":"huge-1","version":"1.0.0"}' });
        await answer('ping only', { PING: JSON.stringify({ type: 'io.nats.micro.v1.ping_response', name: 'test', id: 'ping-only', version: '1.0.0' }) });
        const legacy = { type: 'object', properties: { legacy: { type: 'string' } } };
        // One instance of each hostile shape: a schema 10,900 levels deep (65 KB, under the 64 KiB cap),
        // fields of the wrong types, fields missing, and an answer nested 100,000 levels deep.
        const hostile = (id: string, fields: Record<string, unknown>) => JSON.stringify({ type: 'io.nats.micro.v1.info_response', name: 'hostile', id, version: '1.0.0', ...fields });
        await answer('deep schema', {
          INFO: hostile('deep-1', { endpoints: [{ name: 'deep', subject: 'mesh.hostile.deep', queue_group: 'q', metadata: { 'nest-mesh.params': nested(10_900) } }] }),
          PING: hostile('deep-1', {}),
          STATS: hostile('deep-1', { endpoints: [{ name: 'deep', subject: 'mesh.hostile.deep', num_requests: 1 }] }),
        });
        await answer('wrong types', {
          INFO: hostile('types-1', { version: 5, metadata: 'x', endpoints: [null, 1, 'x', [], { subject: 5 }, { name: 'typed', subject: 'mesh.hostile.typed', metadata: [] }, { subject: 'mesh.hostile.obj', metadata: { 'nest-mesh.params': { type: 'object' } } }] }),
          PING: hostile('types-1', { version: [] }),
          STATS: hostile('types-1', { started: 5, endpoints: { subject: 'mesh.hostile.typed' } }),
        });
        await answer('missing fields', { INFO: JSON.stringify({ name: 'hostile', id: 'missing-1' }), PING: '{}', STATS: JSON.stringify({ name: 'hostile' }) });
        const deepAnswer = hostile('deep-answer-1', { endpoints: [{ name: 'ok', subject: 'mesh.hostile.ok' }], extra: 0 }).replace('"extra":0', `"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
        await answer('deep answer', { INFO: deepAnswer, STATS: deepAnswer });
        await answer('legacy instance', {
          INFO: JSON.stringify({
            type: 'io.nats.micro.v1.info_response',
            name: 'test',
            id: 'legacy-1',
            version: '0.9.0',
            endpoints: [{ name: 'signup', subject: 'mesh.test.signup', queue_group: 'q', metadata: { 'nest-mesh.params': JSON.stringify(legacy) } }],
          }),
        });
      });

      it('skips garbage, keeps oversized schemas out, counts PING-only instances and reports disagreeing schemas', async () => {
        const body = await listingWhen(mesh, (b) => serviceOf(b, 'test')?.instances === 3 && serviceOf(b, 'huge') !== undefined);
        expect(serviceOf(body, 'huge')).toEqual({ name: 'huge', version: '1.0.0', instances: 1, functions: [{ name: 'f', params: null }] });
        const signup = serviceOf(body, 'test').functions.find((f: any) => f.name === 'signup');
        expect(signup.params).toEqual(SIGNUP_SCHEMA); // a tie: the one seen first
        expect(signup.conflicts).toEqual([
          { params: SIGNUP_SCHEMA, instances: [expect.any(String)] },
          { params: { type: 'object', properties: { legacy: { type: 'string' } } }, instances: ['legacy-1'] },
        ]);
        expect(serviceOf(body, 'test').version).toBe('1.0.0');
        const doc = (await get(`${mesh.url}/v1/api/demo/openapi.json`)).body;
        expect(await validate(structuredClone(doc))).toMatchObject({ valid: true });
        // The gateway is unharmed: calls still work.
        expect(await mesh.call('/v1/api/demo/functions/test/echo', { params: 1 })).toMatchObject({ status: 200, body: { result: 1 } });
        expect(mesh.gateway.output).toMatch(/service discovery: a PING answer is not JSON/);
        expect(mesh.gateway.output).toMatch(/service discovery: test ping-only answered PING but not INFO/);
        expect(mesh.gateway.output).toMatch(/service discovery: huge.f of huge-1: nest-mesh.params is over 65536 characters/);
      });

      it('answers 200 on every listing while hostile instances announce deep schemas, wrong types and missing fields', async () => {
        const listing = await listingWhen(mesh, (b) => serviceOf(b, 'hostile')?.instances === 3);
        expect(serviceOf(listing, 'hostile').functions).toEqual([
          { name: 'deep', params: null },
          { name: 'obj', params: null },
          { name: 'ok', params: null },
          { name: 'typed', params: null },
        ]);
        expect(serviceOf(listing, 'test').functions.find((f: any) => f.name === 'signup').params).toEqual(SIGNUP_SCHEMA);
        await sleep(3500); // one more discovery round: the deep schema is reported once, not every round
        for (const route of ['/v1/api/demo/services', '/v1/api/demo/openapi.json', '/console/api/services']) {
          const res = await get(`${mesh.url}${route}`);
          expect([route, res.status]).toEqual([route, 200]);
        }
        const doc = (await get(`${mesh.url}/v1/api/demo/openapi.json`)).body;
        expect(doc.paths['/v1/api/demo/functions/hostile/deep'].post.requestBody.required).toBe(false);
        expect(doc.paths['/v1/api/demo/functions/test/signup'].post.requestBody.required).toBe(true);
        const overview = (await get(`${mesh.url}/console/api/services`)).body;
        expect(overview.services.find((s: any) => s.name === 'test').functions.map((f: any) => f.name)).toEqual(['echo', 'relay', 'signup', 'whoami']);
        expect(await mesh.call('/v1/api/demo/functions/test/echo', { params: 'still here' })).toMatchObject({ status: 200, body: { result: 'still here' } });
        expect(mesh.gateway.output.match(/service discovery: hostile.deep of deep-1: nest-mesh.params is nested deeper than 64 levels/g)).toHaveLength(1);
      });
    });

    if (kind === 'nats-server') {
      it('answers 503 SERVICE_UNAVAILABLE at once while the broker is down', async () => {
        await mesh.nats!.stop();
        // The gateway notices the closed socket almost at once; allow for a loaded machine.
        const res = await valueWhen('the listing answers 503', () => get(`${mesh.url}/v1/api/demo/services`), (r) => r.status === 503, 20_000);
        expect(res).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
        const started = Date.now();
        const again = await get(`${mesh.url}/v1/api/demo/openapi.json`);
        expect(again).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
        expect(Date.now() - started).toBeLessThan(500); // not after a discovery round's deadline
      });
    }
  });
}
