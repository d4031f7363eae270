import { parseConfig } from '../config/load-config';
import { deriveBrokerUsers, discoverySubjects, meshUsers } from './broker-users';
import { serverCredentials as connServers } from 'nest-mesh/internal';
import { renderNatsConfig } from './nats-authorization';
import { isLoopback } from '../config/trust-checks';

const NKEY = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4';

function config(functions: object, extra: object = {}) {
  return parseConfig(JSON.stringify({ id: 'demo', ...extra, modules: { functions } }), {});
}

describe('trust config', () => {
  it('reads users in nats-server shape, tls paths, services and auth.signingKey', () => {
    const c = config(
      {
        embedded: {
          host: '0.0.0.0',
          tls: { cert: 'c.pem', key: 'k.pem' },
          users: [{ user: 'ops', password: 'p', permissions: { subscribe: ['$SRV.>'], publish: { deny: '>' }, allow_responses: { max: 1, expires: 1000 } } }, { nkey: NKEY }],
        },
        services: { orders: { password: 'o', calls: ['billing.charge', 'mail.*'] }, billing: { nkey: NKEY } },
      },
      { auth: { signingKey: 'PEM' } },
    );
    expect(c.modules.functions.services?.get('orders')).toMatchObject({ password: 'o', calls: ['billing.charge', 'mail.*'] });
    expect(c.modules.functions.services?.get('billing')).toMatchObject({ nkey: NKEY, calls: [] });
    expect(c.modules.functions.embedded.tls).toMatchObject({ cert: 'c.pem', key: 'k.pem', verifyClients: false });
    expect(c.auth.signingKey).toBe('PEM');
  });

  const wrong: [string, object, string][] = [
    ['a bad service name', { services: { 'or.ders': { password: 'x' } } }, 'modules.functions.services: "or.ders" is not a service name'],
    ['a calls entry that is not service.func', { services: { orders: { password: 'x', calls: ['billing.>'] } } }, 'modules.functions.services.orders.calls: entries must be'],
    ['an unknown identity key', { services: { orders: { password: 'x', role: 'admin' } } }, 'modules.functions.services.orders.role: unknown key'],
    ['an identity with neither password nor nkey', { services: { orders: { calls: [] } } }, 'modules.functions.services.orders: needs exactly one of password or nkey'],
    ['an identity with both', { services: { orders: { password: 'x', nkey: NKEY } } }, 'modules.functions.services.orders: needs exactly one'],
    ['a bad nkey', { services: { orders: { nkey: 'SUABC' } } }, 'modules.functions.services.orders.nkey: must be a user public key'],
    ['services that are not a mapping', { services: ['orders'] }, 'modules.functions.services: must be a mapping'],
    ['a user without password', { embedded: { users: [{ user: 'ops' }] } }, 'modules.functions.embedded.users.0: needs user and password, or nkey'],
    ['a bad permission', { embedded: { users: [{ user: 'a', password: 'b', permissions: { publish: { allow: ['a b'] } } }] } }, 'modules.functions.embedded.users.0.permissions.publish: must be a subject'],
    ['bad allow_responses', { embedded: { users: [{ user: 'a', password: 'b', permissions: { allow_responses: 'yes' } }] } }, 'modules.functions.embedded.users.0.permissions.allow_responses: must be true'],
    ['tls without key', { embedded: { tls: { cert: 'c.pem' } } }, 'modules.functions.embedded.tls.key'],
    ['verifyClients without ca', { embedded: { tls: { cert: 'c.pem', key: 'k.pem', verifyClients: true } } }, 'modules.functions.embedded.tls.verifyClients: needs modules.functions.embedded.tls.ca'],
    ['token with services', { embedded: { token: 't' }, services: { a: { password: 'p' } } }, 'modules.functions.embedded.token: cannot be combined'],
    ['an open broker on a non-loopback host', { embedded: { host: '0.0.0.0' } }, 'modules.functions.embedded.host: 0.0.0.0 is not a loopback address'],
  ];

  it.each(wrong)('stops at %s, naming the path', (_, functions, message) => {
    expect(() => config(functions)).toThrow(message);
  });

  it('lets a non-loopback embedded broker start with a token, users or services, and a loopback one without', () => {
    expect(() => config({ embedded: { host: '0.0.0.0', token: 't' } })).not.toThrow();
    expect(() => config({ embedded: { host: '0.0.0.0' }, services: { a: { password: 'p' } } })).not.toThrow();
    expect(() => config({ embedded: { host: '::1' } })).not.toThrow();
    expect(() => config({ conn: 'nats://10.0.0.1:4222', embedded: { host: '0.0.0.0' } })).not.toThrow();
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('deriveBrokerUsers', () => {
  const c = config({
    embedded: { users: [{ user: 'ops', password: 'p', permissions: { subscribe: ['$SRV.>'] } }] },
    services: { orders: { password: 'o', calls: ['billing.charge', 'mail.*'] }, billing: { nkey: NKEY } },
  });

  it('gives the gateway every right, keeps embedded users as given, and derives each identity', () => {
    const users = deriveBrokerUsers(c, { user: 'nest-mesh-gateway', password: 'g' });
    expect(users[0]).toEqual({ user: 'nest-mesh-gateway', password: 'g' });
    expect(users[1]).toEqual({ user: 'ops', password: 'p', permissions: { subscribe: ['$SRV.>'] } });
    expect(users[2]).toEqual({
      user: 'orders',
      password: 'o',
      permissions: {
        publish: { allow: ['mesh.billing.charge', 'mesh.mail.*', '_INBOX.*.s.>', '_INBOX.*.c.>'] },
        subscribe: { allow: ['mesh.orders.* q', ...discoverySubjects('orders'), '_INBOX.orders.>'] },
        allow_responses: true,
      },
    });
    expect(users[3]).toMatchObject({ nkey: NKEY, permissions: { publish: { allow: ['_INBOX.*.s.>', '_INBOX.*.c.>'] }, allow_responses: true } });
    expect(users[3]).not.toHaveProperty('user');
  });

  it('answers a plain call once (allow_responses: true, nothing kept for long) and streams through the stream subjects alone (docs/protocol.md#inboxes)', () => {
    for (const user of meshUsers(c).slice(1)) {
      expect(user.permissions?.allow_responses).toBe(true);
      expect(user.permissions?.publish).toEqual({ allow: expect.arrayContaining(['_INBOX.*.s.>', '_INBOX.*.c.>']) });
    }
  });

  it('names the $SRV subjects nats.js micro services subscribe to', () => {
    expect(discoverySubjects('orders')).toEqual([
      '$SRV.PING', '$SRV.PING.orders', '$SRV.PING.orders.*',
      '$SRV.INFO', '$SRV.INFO.orders', '$SRV.INFO.orders.*',
      '$SRV.STATS', '$SRV.STATS.orders', '$SRV.STATS.orders.*',
    ]);
  });

  it('renders the same users as a nats-server authorization block', () => {
    const text = renderNatsConfig(c);
    expect(text).toContain('authorization {');
    expect(text).toContain('{ user: "nest-mesh-gateway", password: $NEST_MESH_GATEWAY_PASSWORD }');
    expect(text).toContain(
      [
        '    {',
        '      user: "orders", password: "o"',
        '      permissions: {',
        '        publish: { allow: ["mesh.billing.charge", "mesh.mail.*", "_INBOX.*.s.>", "_INBOX.*.c.>"] }',
        '        subscribe: { allow: ["mesh.orders.* q", "$SRV.PING", "$SRV.PING.orders", "$SRV.PING.orders.*", "$SRV.INFO", "$SRV.INFO.orders", "$SRV.INFO.orders.*", "$SRV.STATS", "$SRV.STATS.orders", "$SRV.STATS.orders.*", "_INBOX.orders.>"] }',
        '        allow_responses: true',
        '      }',
        '    }',
      ].join('\n'),
    );
    expect(text).toContain(`      nkey: "${NKEY}"\n      permissions: {\n        publish: { allow: ["_INBOX.*.s.>", "_INBOX.*.c.>"] }`);
    expect(text).toContain('        subscribe: ["$SRV.>"]');
    expect(meshUsers(c)).toHaveLength(3);
  });

  it('lets a service identity publish to the event queue only when eventing is on', () => {
    const publishOf = (c: ReturnType<typeof config>) => meshUsers(c)[0].permissions?.publish;
    expect(publishOf(config({ services: { a: { password: 'p', calls: ['b.c'] } } }))).toEqual({ allow: ['mesh.b.c', '_INBOX.*.s.>', '_INBOX.*.c.>'] });
    const withEvents = parseConfig(JSON.stringify({ id: 'demo', modules: { functions: { services: { a: { password: 'p' } } }, eventing: { enabled: true } } }), {});
    expect(publishOf(withEvents)).toEqual({ allow: ['$MESH.events.queue', '_INBOX.*.s.>', '_INBOX.*.c.>'] });
  });

  it('renders the gateway user of the conn URL when it has one', () => {
    const withConn = config({ conn: 'nats://gw:s%40cret@127.0.0.1:4222', services: { a: { password: 'p' } } });
    expect(renderNatsConfig(withConn)).toContain('{ user: "gw", password: "s@cret" }');
  });
});

describe('connServers', () => {
  it('takes the credential out of the URLs, for nats.js which ignores it', () => {
    expect(connServers('nats://u:p%3A@a:4222, nats://b:4222')).toEqual({ servers: ['nats://a:4222', 'nats://b:4222'], user: 'u', pass: 'p:' });
    expect(connServers(['tls://tok@a:4222'])).toEqual({ servers: ['tls://a:4222'], token: 'tok' });
    expect(connServers('nats://a:4222')).toEqual({ servers: ['nats://a:4222'] });
  });
});
