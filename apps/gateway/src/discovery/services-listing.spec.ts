import { validate } from '@readme/openapi-parser';
import { compileRules } from '@nest-mesh/rules';
import { consoleOverviewOf } from '../console/console-overview';
import { openApiOf } from './openapi';
import { catalogOf, FirstSeen, listingOf } from './services-listing';
import { parseSrvAnswers } from './srv-answers';
import type { SrvAnswers } from './srv-gather';

const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const signupSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: { email: { type: 'string', format: 'email' }, address: { $ref: '#/$defs/Address' }, tree: { $ref: '#/$defs/Tree' } },
  required: ['email'],
  $defs: {
    Address: { type: 'object', properties: { city: { type: 'string' } } },
    Tree: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Tree' } }, when: { $ref: '#/$defs/Date' } } },
  },
};

function info(name: string, id: string, version: string, endpoints: { func: string; params?: unknown; subject?: string }[]) {
  return {
    type: 'io.nats.micro.v1.info_response',
    name,
    id,
    version,
    endpoints: endpoints.map(({ func, params, subject }) => ({
      name: func,
      subject: subject ?? `mesh.${name}.${func}`,
      queue_group: 'q',
      metadata: params === undefined ? null : { 'nest-mesh.params': typeof params === 'string' ? params : JSON.stringify(params) },
    })),
  };
}

const rules = compileRules({
  users: { create: { rule: 'allow' }, me: { rule: 'authenticated' }, secret: { rule: 'deny' }, check: { rule: 'func', service: 'g', func: 'f' } },
  hidden: { default: { rule: 'deny' } },
});

describe('discovery from $SRV answers', () => {
  const answers: SrvAnswers = {
    info: [
      bytes(info('users', 'u1', '1.2.0', [{ func: 'create', params: signupSchema }, { func: 'me' }, { func: 'secret' }, { func: 'unruled' }])),
      bytes(info('users', 'u0', '1.1.0', [{ func: 'create', params: { type: 'object', properties: { old: { type: 'string' } } } }, { func: 'check' }])),
      bytes(info('users', 'u2', '1.2.0', [{ func: 'create', params: signupSchema }])),
      bytes(info('hidden', 'h1', '1.0.0', [{ func: 'x' }])),
      bytes(info('other', 'o1', '1.0.0', [{ func: 'x', subject: 'orders.x' }])),
      bytes('not json'),
      bytes([1, 2]),
      bytes({ name: 'bad name!', id: 'x' }),
      bytes({ name: 'users', id: 'line\nbreak', endpoints: [] }),
      bytes({ name: 'users', id: 'no-list', endpoints: 'nope' }),
      bytes(info('users', 'g1', '1.0.0', [{ func: 'me', params: 'not json' }, { func: 'check', params: '[1]' }])),
      bytes(info('users', 'g2', '1.0.0', [{ func: 'me', params: 'x'.repeat(70_000) }])),
      bytes(info('users', 'g3', '1.0.0', [{ func: 'me', subject: 'mesh.other.me' }, { func: 'create', params: 5 }])),
    ],
    ping: [
      bytes({ name: 'users', id: 'u1', version: '1.2.0' }),
      bytes({ name: 'users', id: 'p1', version: '1.3.0' }),
      bytes({ name: 'nobody', id: 'n1', version: '1.0.0' }),
      bytes('garbage'),
    ],
    stats: [
      bytes({ name: 'users', id: 'u1', started: '2026-01-01T00:00:00Z', endpoints: [{ name: 'create', subject: 'mesh.users.create', num_requests: 3, num_errors: 1, last_error: 'boom', processing_time: 3e6, average_processing_time: 1e6 }] }),
      bytes({ name: 'users', id: 'u2', endpoints: [{ subject: 'mesh.users.create', num_requests: 'many', processing_time: -1 }] }),
      bytes('{'),
    ],
  };
  const parsed = parseSrvAnswers(answers, 64);
  const byId = new Map(parsed.instances.map((instance) => [instance.id, instance]));

  it('keeps the instances of mesh services, and says what was wrong with the rest', () => {
    expect([...byId.keys()].sort()).toEqual(['g1', 'g2', 'g3', 'h1', 'p1', 'u0', 'u1', 'u2']);
    expect(parsed.problems).toEqual(
      expect.arrayContaining([
        'a INFO answer is not JSON (8 bytes)',
        'a INFO answer is not a JSON object',
        'a INFO answer has no valid name and id',
        'INFO of users no-list: no endpoints list',
        'users.me of g1: nest-mesh.params is not JSON',
        'users.check of g1: nest-mesh.params is not a JSON Schema',
        'users.me of g2: nest-mesh.params is over 65536 characters',
        'users.create of g3: nest-mesh.params is not a JSON Schema',
        'users p1 answered PING but not INFO',
        'a PING answer is not JSON (7 bytes)',
        'a STATS answer is not JSON (1 bytes)',
      ]),
    );
    expect(byId.get('p1')).toMatchObject({ info: false, version: '1.3.0', functions: new Map() });
    expect(byId.get('g3')!.functions).toEqual(new Map([['create', null]]));
  });

  it('reads ADR-32 stats defensively (times in ms)', () => {
    expect(byId.get('u1')!.started).toBe('2026-01-01T00:00:00Z');
    expect(byId.get('u1')!.stats.get('create')).toEqual({ requests: 3, errors: 1, processingMs: 3, averageMs: 1, lastError: 'boom' });
    expect(byId.get('u2')!.stats.get('create')).toEqual({ requests: 0, errors: 0, processingMs: 0, averageMs: 0, lastError: '' });
  });

  it('lists only functions a rule can allow, and services that have one', () => {
    const { services } = listingOf(catalogOf(parsed.instances, rules));
    expect(services.map((s) => s.name)).toEqual(['users']);
    const [users] = services;
    expect(users).toMatchObject({ name: 'users', version: '1.0.0', instances: 7 }); // g1, g2 and g3: the most instances
    expect(users.versionConflicts).toEqual([
      { version: '1.0.0', instances: ['g1', 'g2', 'g3'] },
      { version: '1.2.0', instances: ['u1', 'u2'] },
      { version: '1.1.0', instances: ['u0'] },
      { version: '1.3.0', instances: ['p1'] },
    ]);
    expect(users.functions.map((f) => f.name)).toEqual(['check', 'create', 'me']);
    expect(users.functions.find((f) => f.name === 'me')).toEqual({ name: 'me', params: null });
  });

  it('reports instances that disagree on a schema instead of merging them', () => {
    const create = listingOf(catalogOf(parsed.instances, rules)).services[0].functions.find((f) => f.name === 'create')!;
    expect(create.params).toEqual(signupSchema);
    expect(create.conflicts).toEqual([
      { params: signupSchema, instances: ['u1', 'u2'] },
      { params: { type: 'object', properties: { old: { type: 'string' } } }, instances: ['u0'] },
      { params: null, instances: ['g3'] },
    ]);
  });

  it('makes an OpenAPI 3.1 document that a validator accepts', async () => {
    const doc = openApiOf('demo', catalogOf(parsed.instances, rules), 60000) as any;
    const result = await validate(structuredClone(doc));
    expect(result).toMatchObject({ valid: true, specification: 'OpenAPI' });
    expect(Object.keys(doc.paths)).toEqual(['/v1/api/demo/functions/users/check', '/v1/api/demo/functions/users/create', '/v1/api/demo/functions/users/me']);
    const create = doc.paths['/v1/api/demo/functions/users/create'].post;
    expect(create.security).toBeUndefined();
    expect(create.requestBody.content['application/json'].schema.properties.params.properties.address).toEqual({ $ref: '#/components/schemas/users.create.Address' });
    expect(doc.components.schemas['users.create.Tree'].properties.children.items).toEqual({ $ref: '#/components/schemas/users.create.Tree' });
    expect(doc.components.schemas['users.create.Tree'].properties.when).toEqual({});
    expect(doc.paths['/v1/api/demo/functions/users/me'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/api/demo/functions/users/check'].post.security).toEqual([{ bearer: [] }, {}]);
    expect(create.responses['403']).toEqual({ $ref: '#/components/responses/Error403' });
    expect(doc.components.schemas.Error).toMatchObject({ required: ['error', 'code'] });
  });
});

const allowAll = compileRules({ users: { default: { rule: 'allow' } } });

describe('when instances of a service disagree', () => {
  const schemaA = { type: 'object', properties: { a: { type: 'string' } } };
  const schemaB = { type: 'object', properties: { evil: { type: 'string' } } };
  const real = (id: string) => bytes(info('users', id, '1.0.0', [{ func: 'create', params: schemaA }, { func: 'me' }]));
  const impostor = (id: string, version = '9.9.9') => bytes(info('users', id, version, [{ func: 'create', params: schemaB }, { func: 'me' }]));
  const usersOf = (info: Uint8Array[], seen?: FirstSeen) => {
    const { instances } = parseSrvAnswers({ info, ping: [], stats: [] }, 64);
    return listingOf(catalogOf(instances, allowAll, seen)).services[0];
  };
  const chosen = (users: ReturnType<typeof usersOf>) => [users.version, users.functions[0].params];

  it('follows what most instances announce, not the newest version, and flags the conflict', () => {
    const users = usersOf([impostor('x1'), real('a1'), real('a2')]);
    expect(chosen(users)).toEqual(['1.0.0', schemaA]);
    expect(users.versionConflicts).toEqual([
      { version: '1.0.0', instances: ['a1', 'a2'] },
      { version: '9.9.9', instances: ['x1'] },
    ]);
    expect(users.functions[0].conflicts).toEqual([
      { params: schemaA, instances: ['a1', 'a2'] },
      { params: schemaB, instances: ['x1'] },
    ]);
    expect(users.functions[1]).toEqual({ name: 'me', params: null });
    // ... and so does a majority of impostors: a vote counts instance ids (docs/discovery.md).
    expect(chosen(usersOf([real('a1'), impostor('x1'), impostor('x2')]))).toEqual(['9.9.9', schemaB]);
  });

  it('on a tie within one round, keeps the answer that arrived first', () => {
    expect(chosen(usersOf([real('a1'), impostor('x1')]))).toEqual(['1.0.0', schemaA]);
    expect(chosen(usersOf([impostor('x1'), real('a1')]))).toEqual(['9.9.9', schemaB]);
  });

  it('on a tie, keeps what an earlier round saw, until no instance announces it any more', () => {
    const seen = new FirstSeen();
    expect(chosen(usersOf([real('a1')], seen))).toEqual(['1.0.0', schemaA]);
    // The impostor answers first, and claims a newer version: the instance seen before still counts first.
    const tied = usersOf([impostor('x1'), real('a1')], seen);
    expect(chosen(tied)).toEqual(['1.0.0', schemaA]);
    expect(tied.versionConflicts).toHaveLength(2);
    expect(chosen(usersOf([impostor('x1'), real('a2')], seen))).toEqual(['1.0.0', schemaA]); // a restarted instance announces the same
    expect(chosen(usersOf([impostor('x1')], seen))).toEqual(['9.9.9', schemaB]);
    expect(chosen(usersOf([real('a1'), impostor('x1')], seen))).toEqual(['9.9.9', schemaB]); // now x1's is the older one
  });

  it('counts one answer per instance: a second INFO with the same id is reported, not counted', () => {
    const parsed = parseSrvAnswers({ info: [real('a1'), impostor('a1'), impostor('x1')], ping: [], stats: [] }, 64);
    expect(parsed.problems).toEqual(['users a1 answered INFO more than once (the first answer counts)']);
    expect(chosen(listingOf(catalogOf(parsed.instances, allowAll)).services[0])).toEqual(['1.0.0', schemaA]);
  });

  it('says so in OpenAPI and in the console', () => {
    const { openapi, console } = documentsOf({ info: [real('a1'), real('a2'), impostor('x1')] });
    expect(openapi.tags).toEqual([{ name: 'users', description: 'service users 1.0.0 (instances announce 2 versions; this is the one most of them announce)' }]);
    expect(openapi.paths['/v1/api/demo/functions/users/create'].post.description).toContain('Instances announce 2 different params schemas; this is the one most of them announce.');
    expect(openapi.paths['/v1/api/demo/functions/users/create'].post.requestBody.content['application/json'].schema.properties.params).toEqual(schemaA);
    expect(console.services[0]).toMatchObject({ version: '1.0.0', versionConflicts: [{ version: '1.0.0' }, { version: '9.9.9' }] });
  });
});

describe('services of the earlier micro API (nats.go before 1.24)', () => {
  const identity = (name: string, id: string) => ({ name, id, version: '1.0.0' });
  const answers: SrvAnswers = {
    info: [
      // nats.go 1.20-1.22: one endpoint per service, its subject at the top level; no `type`, no `endpoints`.
      bytes({ ...identity('legacy', 'L1'), description: 'adds', subject: 'mesh.legacy.add' }),
      // nats.go 1.23: `subjects`.
      bytes({ type: 'io.nats.micro.v1.info_response', ...identity('legacy23', 'M1'), description: '', subjects: ['mesh.legacy23.a', 'mesh.legacy23.b', 'other.c', 5] }),
      // Not callable through the gateway: not a mesh subject, another service's subject, a subject of the wrong type.
      bytes({ ...identity('plain', 'P1'), subject: 'plain.add' }),
      bytes({ ...identity('thief', 'T1'), subject: 'mesh.legacy.add' }),
      bytes({ ...identity('odd', 'O1'), subject: 5 }),
    ],
    ping: [bytes(identity('legacy', 'L1'))],
    stats: [
      bytes({ ...identity('legacy', 'L1'), num_requests: 3, num_errors: 1, last_error: 'boom', processing_time: 3e6, average_processing_time: 1e6, started: '2023-01-01T00:00:00Z' }),
      bytes({ type: 'io.nats.micro.v1.stats_response', ...identity('legacy23', 'M1'), endpoints: [{ name: 'a', subject: 'mesh.legacy23.a', num_requests: 2 }] }),
    ],
  };
  const parsed = parseSrvAnswers(answers, 64);
  const listing = listingOf(catalogOf(parsed.instances, compileRules({ legacy: { default: { rule: 'allow' } }, legacy23: { default: { rule: 'allow' } }, plain: { default: { rule: 'allow' } }, thief: { default: { rule: 'allow' } } })));

  it('lists them with one function per mesh subject, named after its last token', () => {
    expect(listing.services).toEqual([
      { name: 'legacy', version: '1.0.0', instances: 1, functions: [{ name: 'add', params: null }] },
      { name: 'legacy23', version: '1.0.0', instances: 1, functions: [{ name: 'a', params: null }, { name: 'b', params: null }] },
    ]);
    expect(parsed.problems).toEqual(['INFO of odd O1: no endpoints list']);
  });

  it('reads their stats', () => {
    const byId = new Map(parsed.instances.map((instance) => [instance.id, instance]));
    expect(byId.get('L1')!.started).toBe('2023-01-01T00:00:00Z');
    expect(byId.get('L1')!.stats.get('add')).toEqual({ requests: 3, errors: 1, processingMs: 3, averageMs: 1, lastError: 'boom' });
    expect(byId.get('M1')!.stats.get('a')).toMatchObject({ requests: 2 });
  });
});

/** A JSON object nested `depth` levels deep, as text: `{"a":{"a":...{}}}`. */
const nested = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

/** The listing, OpenAPI and console documents of some answers, as the gateway sends them. */
function documentsOf(answers: Partial<SrvAnswers>, maxDepth = 64, rules = allowAll) {
  const parsed = parseSrvAnswers({ info: [], ping: [], stats: [], ...answers }, maxDepth);
  const services = catalogOf(parsed.instances, rules);
  const round = { at: 0, instances: parsed.instances, problems: parsed.problems };
  return {
    parsed,
    listing: JSON.parse(JSON.stringify(listingOf(services))),
    openapi: JSON.parse(JSON.stringify(openApiOf('demo', services, 60000))),
    console: JSON.parse(JSON.stringify(consoleOverviewOf('demo', { round, rules, services, documents: new Map() }))),
  };
}

describe('discovery with hostile $SRV answers', () => {
  const good = bytes(info('users', 'u1', '1.0.0', [{ func: 'create', params: signupSchema }, { func: 'me' }]));

  it('takes a schema nested as deep as http.maxDepth, and counts a deeper one as none (reported once)', () => {
    const deep = (depth: number) => bytes(info('users', `d${depth}`, '1.0.0', [{ func: 'me', params: nested(depth) }]));
    const { parsed, listing } = documentsOf({ info: [deep(64), deep(65)] });
    const me = new Map(parsed.instances.map((i) => [i.id, i.functions.get('me')]));
    expect(JSON.stringify(me.get('d64'))).toBe(nested(64));
    expect(me.get('d65')).toBeNull();
    expect(parsed.problems).toEqual(['users.me of d65: nest-mesh.params is nested deeper than 64 levels']);
    expect(listing.services[0].functions[0].conflicts).toHaveLength(2);
  });

  it('makes every document of a schema nested 10,900 levels deep in 65 KB (under the 64 KiB cap)', () => {
    const schema = nested(10_900);
    expect(schema.length).toBeLessThan(64 * 1024);
    const { listing, openapi, console } = documentsOf({ info: [good, bytes(info('users', 'deep', '1.0.0', [{ func: 'create', params: schema }]))] });
    expect(listing.services[0].functions[0].conflicts).toEqual(
      expect.arrayContaining([
        { params: signupSchema, instances: ['u1'] },
        { params: null, instances: ['deep'] },
      ]),
    );
    expect(Object.keys(openapi.paths)).toHaveLength(2);
    expect(console.problems).toEqual(['users.create of deep: nest-mesh.params is nested deeper than 64 levels']);
  });

  it('takes schemas up to the deepest http.maxDepth (1000) and still makes every document', async () => {
    const schema = '{"not":'.repeat(999) + '{}' + '}'.repeat(999);
    const { listing, openapi } = documentsOf({ info: [bytes(info('users', 'x', '1.0.0', [{ func: 'me', params: schema }]))] }, 1000);
    expect(JSON.stringify(listing.services[0].functions[0].params)).toBe(schema);
    expect(JSON.stringify(openapi.paths['/v1/api/demo/functions/users/me'].post.requestBody.content['application/json'].schema.properties.params)).toBe(schema);
  });

  // Each answer next to a good instance of `users`: none of them may fail a document or change what `users` lists.
  const deepArray = '['.repeat(100_000) + ']'.repeat(100_000);
  const hostile: Record<string, unknown> = {
    'not JSON': '{"name":"users","id":"nj","endpoints":[',
    'an array': [1, 2],
    'a string': 'users',
    null: null,
    'a number': 5,
    'no name': { id: 'x', endpoints: [{ subject: 'mesh.users.me' }] },
    'no id': { name: 'users', endpoints: [{ subject: 'mesh.users.me' }] },
    'a name of the wrong type': { name: ['users'], id: 'x', endpoints: [] },
    'an id of the wrong type': { name: 'users', id: { toString: 'x' }, endpoints: [] },
    'a version of the wrong type': { name: 'users', id: 'v', version: { major: 9 }, endpoints: [{ subject: 'mesh.users.me' }] },
    'a huge version': { name: 'users', id: 'hv', version: '9'.repeat(100_000), endpoints: [{ subject: 'mesh.users.me' }] },
    'endpoints of the wrong type': { name: 'users', id: 'e1', endpoints: { subject: 'mesh.users.me' } },
    'endpoints of every wrong type': { name: 'users', id: 'e2', endpoints: [null, 1, 'mesh.users.me', [], { subject: 5 }, { subject: ['mesh.users.me'] }, { subject: 'mesh.users' }, { subject: 'x'.repeat(100_000) }] },
    'metadata of every wrong type': {
      name: 'users',
      id: 'm1',
      endpoints: [
        { subject: 'mesh.users.me', metadata: [] },
        { subject: 'mesh.users.me', metadata: 'x' },
        { subject: 'mesh.users.create', metadata: { 'nest-mesh.params': { type: 'object' } } },
      ],
    },
    'schemas that are not objects': {
      name: 'users',
      id: 'm2',
      endpoints: ['"text"', '1', 'null', '[{}]', '{"a":', nested(100_000).slice(0, 60_000)].map((params, i) => ({ subject: `mesh.users.f${i}`, metadata: { 'nest-mesh.params': params } })),
    },
    'a deep schema': { name: 'users', id: 'deep', endpoints: [{ subject: 'mesh.users.create', metadata: { 'nest-mesh.params': nested(10_900) } }] },
    'a deep array schema': { name: 'users', id: 'deep2', endpoints: [{ subject: 'mesh.users.create', metadata: { 'nest-mesh.params': '['.repeat(32_000) + ']'.repeat(32_000) } }] },
    'a deep answer': `{"name":"users","id":"deep3","endpoints":[{"subject":"mesh.users.me"}],"deep":${deepArray}}`,
    'a huge answer': { name: 'users', id: 'huge', endpoints: Array.from({ length: 2000 }, (_, i) => ({ subject: `mesh.users.f${i}`, metadata: { 'nest-mesh.params': '{"x":"' + 'y'.repeat(60_000) + '"}' } })).slice(0, 20) },
    'names meant for prototypes': {
      name: 'users',
      id: 'proto',
      endpoints: [
        { subject: 'mesh.users.__proto__', metadata: { 'nest-mesh.params': '{"properties":{"__proto__":{"type":"string"}},"$defs":{"__proto__":{"type":"string"}}}' } },
        { subject: 'mesh.users.constructor' },
      ],
    },
  };

  it.each(Object.keys(hostile))('makes every document with an INFO answer that is %s', (shape) => {
    const text = typeof hostile[shape] === 'string' ? (hostile[shape] as string) : JSON.stringify(hostile[shape]);
    const { listing, openapi, console } = documentsOf({ info: [good, bytes(text)], ping: [bytes(text)], stats: [bytes(text)] });
    const users = listing.services.find((s: { name: string }) => s.name === 'users');
    const create = users.functions.find((f: { name: string }) => f.name === 'create');
    expect(create.params).toEqual(signupSchema); // the good instance answered first
    expect(users.functions.map((f: { name: string }) => f.name)).toContain('me');
    expect(Object.keys(openapi.paths)).toContain('/v1/api/demo/functions/users/create');
    expect(console.services.find((s: { name: string }) => s.name === 'users').instances.map((i: { id: string }) => i.id)).toContain('u1');
  });

  it('keeps a property or definition named __proto__ in OpenAPI', () => {
    const { openapi } = documentsOf({ info: [bytes(JSON.stringify(hostile['names meant for prototypes']))] });
    const operation = openapi.paths['/v1/api/demo/functions/users/__proto__'].post;
    expect(Object.keys(operation.requestBody.content['application/json'].schema.properties.params.properties)).toEqual(['__proto__']);
    expect(Object.keys(openapi.components.schemas)).toContain('users.__proto__.__proto__');
  });
});

describe('result schemas (nest-mesh.result)', () => {
  const userSchema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { id: { type: 'string' }, address: { $ref: '#/$defs/Address' } },
    required: ['id'],
    $defs: { Address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  };
  const withResult = (id: string, result: unknown, func = 'create') =>
    bytes({
      name: 'users',
      id,
      version: '1.0.0',
      endpoints: [{ name: func, subject: `mesh.users.${func}`, metadata: { 'nest-mesh.result': typeof result === 'string' ? result : JSON.stringify(result) } }],
    });

  it('carries a function result schema to the OpenAPI 200 answer (nested parts in components), not to the listing', async () => {
    const { listing, openapi } = documentsOf({ info: [withResult('u1', userSchema), bytes(info('users', 'u1b', '1.0.0', [{ func: 'me' }]))] });
    expect(listing.services[0].functions).toEqual([{ name: 'create', params: null }, { name: 'me', params: null }]);
    expect(await validate(structuredClone(openapi))).toMatchObject({ valid: true });
    const answer = (func: string) => openapi.paths[`/v1/api/demo/functions/users/${func}`].post.responses['200'].content['application/json'].schema.properties.result;
    // Every function may also be asked for server-sent events.
    expect(Object.keys(openapi.paths['/v1/api/demo/functions/users/create'].post.responses['200'].content)).toEqual(['application/json', 'text/event-stream']);
    expect(answer('create')).toEqual({
      type: 'object',
      properties: { id: { type: 'string' }, address: { $ref: '#/components/schemas/users.create.result.Address' } },
      required: ['id'],
    });
    expect(openapi.components.schemas['users.create.result.Address']).toEqual(userSchema.$defs.Address);
    expect(answer('me')).toEqual({ description: 'Any JSON (the function declared no result type)' });
  });

  it('counts a bad one as none, and says why once', () => {
    const { parsed, openapi } = documentsOf({
      info: [withResult('a', 'not json'), withResult('b', '[1]'), withResult('c', 'x'.repeat(70_000)), withResult('d', nested(65)), withResult('e', 5)],
    });
    expect(parsed.instances.map((instance) => instance.results.size)).toEqual([0, 0, 0, 0, 0]);
    expect(parsed.problems).toEqual([
      'users.create of a: nest-mesh.result is not JSON',
      'users.create of b: nest-mesh.result is not a JSON Schema',
      'users.create of c: nest-mesh.result is over 65536 characters',
      'users.create of d: nest-mesh.result is nested deeper than 64 levels',
      'users.create of e: nest-mesh.result is not a JSON Schema',
    ]);
    expect(openapi.paths['/v1/api/demo/functions/users/create'].post.responses['200'].content['application/json'].schema.properties.result).toEqual({
      description: 'Any JSON (the function declared no result type)',
    });
  });

  it('follows what most instances announce', () => {
    const other = { type: 'string' };
    const { openapi } = documentsOf({ info: [withResult('x1', other), withResult('a1', userSchema), withResult('a2', userSchema)] });
    expect(openapi.paths['/v1/api/demo/functions/users/create'].post.responses['200'].content['application/json'].schema.properties.result.required).toEqual(['id']);
  });
});
