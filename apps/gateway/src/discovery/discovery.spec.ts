import { validate } from '@readme/openapi-parser';
import { compileRules } from '@nest-mesh/rules';
import { openApiOf } from './openapi';
import { catalogOf, compareVersions, listingOf } from './services-listing';
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
  const parsed = parseSrvAnswers(answers);
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
    expect(users).toMatchObject({ name: 'users', version: '1.3.0', instances: 7 });
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

  it('orders versions as semver', () => {
    expect(['1.10.0', '1.2.0', '1.2.0-rc.1', 'x', '0.9.9'].sort(compareVersions)).toEqual(['x', '0.9.9', '1.2.0-rc.1', '1.2.0', '1.10.0']);
  });
});
