/**
 * Users, permissions and nkeys: one table of cases, run against the embedded broker and against
 * nats-server started with the same users (through a config file); same bytes expected from both.
 * Cases after nats-server's TestQueueSubscribePermissions and TestResponsePermissions.
 */
import { BrokerUser, EmbeddedBroker, SubjectPermission } from '@nest-mesh/broker';
import { connect, NatsConnection, nkeyAuthenticator, nkeys, StringCodec } from 'nats';
import { describeWithNatsServer } from '../support/nats-server';
import { RawClient, talk } from './raw-client';
import { BrokerTarget, embeddedTarget, natsServerTarget, RunningBroker } from './targets';

jest.setTimeout(30_000);

const sc = StringCodec();
const AUTH_VIOLATION = "-ERR 'Authorization Violation'\r\n";
const pubViolation = (subject: string) => `-ERR 'Permissions Violation for Publish to "${subject}"'\r\n`;
const subViolation = (subject: string, queue?: string) =>
  `-ERR 'Permissions Violation for Subscription to "${subject}"${queue === undefined ? '' : ` using queue "${queue}"`}'\r\n`;
const login = (user: string, pass: string, verbose = false) =>
  `CONNECT ${JSON.stringify({ verbose, pedantic: false, user, pass })}\r\n`;

/** nats-server's TestQueueSubscribePermissions, one user each (`q<i>`, password `q`). */
const queueCases: { name: string; perms: SubjectPermission; subject: string; queue?: string; allowed: boolean }[] = [
  { name: 'plain subscription on foo', perms: { allow: ['foo'] }, subject: 'foo', allowed: true },
  { name: 'queue subscribe with allowed group', perms: { allow: ['foo bar'] }, subject: 'foo', queue: 'bar', allowed: true },
  { name: 'queue subscribe with wildcard allowed group', perms: { allow: ['foo bar.*'] }, subject: 'foo', queue: 'bar.fizz', allowed: true },
  { name: 'queue subscribe, full wildcard subject and subgroup', perms: { allow: ['> bar.>'] }, subject: 'whizz', queue: 'bar.bang', allowed: true },
  { name: 'plain subscribe, full wildcard subject and subgroup', perms: { allow: ['> bar.>'] }, subject: 'whizz', allowed: false },
  { name: 'deny plain subscription on foo', perms: { allow: ['>'], deny: ['foo'] }, subject: 'foo', queue: 'bar', allowed: false },
  { name: 'allow plain subscription, except foo', perms: { allow: ['>'], deny: ['foo'] }, subject: 'bar', allowed: true },
  { name: 'deny everything', perms: { allow: ['>'], deny: ['>'] }, subject: 'foo', queue: 'bar', allowed: false },
  { name: 'can only subscribe to queues v1', perms: { allow: ['> v1.>'] }, subject: 'foo', queue: 'v1.prod', allowed: true },
  { name: 'cannot subscribe to queues, plain subscribe ok', perms: { allow: ['>'], deny: ['> >'] }, subject: 'foo', allowed: true },
  { name: 'cannot subscribe to queues, queue subscribe not ok', perms: { deny: ['> >'] }, subject: 'foo', queue: 'bar', allowed: false },
  { name: 'deny all queue subscriptions on dev or stg only', perms: { deny: ['> *.dev', '> *.stg'] }, subject: 'foo', queue: 'bar', allowed: true },
  { name: 'allow only queue subscription on dev or stg', perms: { allow: ['> *.dev', '> *.stg'] }, subject: 'foo', queue: 'bar', allowed: false },
  { name: 'deny queue subscriptions with subject foo', perms: { deny: ['foo >'] }, subject: 'foo', queue: 'bar', allowed: false },
  { name: 'plain sub allowed, queue not in list', perms: { allow: ['foo bar'] }, subject: 'foo', queue: 'fizz', allowed: false },
  { name: 'allow plain sub, but do queue subscribe', perms: { allow: ['foo'] }, subject: 'foo', queue: 'bar', allowed: true },
];

/** A small mesh: a gateway that may do everything, two services, and a few special users. */
const users: BrokerUser[] = [
  { user: 'gateway', password: 'gw-pass' },
  {
    user: 'orders',
    password: 'orders-pass',
    permissions: { publish: ['mesh.billing.charge', 'mail.*'], subscribe: ['mesh.orders.* q', '_INBOX.orders.>'], allow_responses: true },
  },
  {
    user: 'billing',
    password: 'billing-pass',
    permissions: { publish: { allow: 'mesh.>', deny: ['mesh.orders.>'] }, subscribe: { allow: ['mesh.billing.>'], deny: 'mesh.billing.secret' } },
  },
  { user: 'watcher', password: 'w', permissions: { subscribe: { allow: '>', deny: 'secret.>' } } },
  { user: 'twice', password: 't', permissions: { subscribe: 'svc.twice', allow_responses: { max: 2 } } },
  { user: 'brief', password: 'b', permissions: { subscribe: 'svc.brief', allow_responses: { max: 100, expires: 1000 } } },
  { user: 'endless', password: 'e', permissions: { subscribe: 'svc.endless', allow_responses: { max: -1, expires: -1 } } },
  { user: 'open', password: 'o', permissions: { publish: [], subscribe: { allow: [] } } },
  ...queueCases.map((c, i) => ({ user: `q${i}`, password: 'q', permissions: { subscribe: c.perms } })),
];

/** One conversation: what one client sends (ending in PING), and the exact answer. */
interface Conversation {
  name: string;
  input: string;
  out: string;
  closed?: boolean;
}

const conversations: Conversation[] = [
  { name: 'an anonymous login is refused and closed', input: 'CONNECT {"verbose":false}\r\nPING\r\n', out: AUTH_VIOLATION, closed: true },
  { name: 'a wrong password is refused and closed', input: `${login('orders', 'billing-pass')}PING\r\n`, out: AUTH_VIOLATION, closed: true },
  { name: 'an unknown user is refused and closed', input: `${login('mallory', 'orders-pass')}PING\r\n`, out: AUTH_VIOLATION, closed: true },
  { name: 'a user without a password is refused', input: 'CONNECT {"verbose":false,"user":"orders"}\r\nPING\r\n', out: AUTH_VIOLATION, closed: true },
  {
    name: "a service may not subscribe to another service's subjects, mesh.> or >",
    input: `${login('orders', 'orders-pass')}SUB mesh.billing.charge q 1\r\nSUB mesh.billing.* 2\r\nSUB mesh.> 3\r\nSUB > 4\r\nSUB mesh.*.* q 5\r\nPING\r\n`,
    out: [subViolation('mesh.billing.charge', 'q'), subViolation('mesh.billing.*'), subViolation('mesh.>'), subViolation('>'), subViolation('mesh.*.*', 'q'), 'PONG\r\n'].join(''),
  },
  {
    name: 'a service may subscribe to its own functions only in its queue group',
    input: `${login('orders', 'orders-pass')}SUB mesh.orders.create x 1\r\nSUB mesh.orders.create 2\r\nSUB mesh.orders.create q 3\r\nSUB _INBOX.orders.abc 4\r\nPING\r\n`,
    out: `${subViolation('mesh.orders.create', 'x')}${subViolation('mesh.orders.create')}PONG\r\n`,
  },
  {
    name: 'a service may publish only to what it calls',
    input: `${login('orders', 'orders-pass')}PUB mesh.greeter.hello 2\r\nhi\r\nPUB mesh.billing.charge 2\r\nhi\r\nPUB mail.send 0\r\n\r\nPUB mail.a.b 0\r\n\r\nPUB mesh.billing.refund 0\r\n\r\nPING\r\n`,
    out: `${pubViolation('mesh.greeter.hello')}${pubViolation('mail.a.b')}${pubViolation('mesh.billing.refund')}PONG\r\n`,
  },
  {
    name: 'HPUB is checked like PUB',
    input: `CONNECT {"verbose":false,"pedantic":false,"headers":true,"user":"orders","pass":"orders-pass"}\r\nHPUB mesh.greeter.hello 12 12\r\nNATS/1.0\r\n\r\n\r\nPING\r\n`,
    out: `${pubViolation('mesh.greeter.hello')}PONG\r\n`,
  },
  {
    name: 'a service may not reply to a subject it never received',
    input: `${login('orders', 'orders-pass')}PUB _INBOX.gateway.1 0\r\n\r\nPUB _INBOX.orders.x 0\r\n\r\nPING\r\n`,
    out: `${pubViolation('_INBOX.gateway.1')}${pubViolation('_INBOX.orders.x')}PONG\r\n`,
  },
  {
    name: 'a verbose client gets -ERR instead of +OK for a refused operation',
    input: `${login('orders', 'orders-pass', true)}SUB mesh.> 1\r\nPUB nope 0\r\n\r\nPUB mail.x 0\r\n\r\nPING\r\n`,
    out: `+OK\r\n${subViolation('mesh.>')}${pubViolation('nope')}+OK\r\nPONG\r\n`,
  },
  {
    name: 'deny wins over allow, for publish and subscribe',
    input: `${login('billing', 'billing-pass')}SUB mesh.billing.secret 1\r\nSUB mesh.billing.> 2\r\nPUB mesh.orders.create 0\r\n\r\nPUB mesh.mail.send 0\r\n\r\nPING\r\n`,
    out: `${subViolation('mesh.billing.secret')}${pubViolation('mesh.orders.create')}PONG\r\n`,
  },
  {
    name: 'empty allow lists restrict nothing (as in nats-server)',
    input: `${login('open', 'o')}SUB > 1\r\nPUB anything 0\r\n\r\nPING\r\n`,
    out: 'MSG anything 1 0\r\n\r\nPONG\r\n',
  },
  {
    name: 'a user without permissions may do everything',
    input: `${login('gateway', 'gw-pass')}SUB > 1\r\nSUB mesh.orders.create x 2\r\nPUB a.b 0\r\n\r\nPING\r\n`,
    out: 'MSG a.b 1 0\r\n\r\nPONG\r\n',
  },
  ...queueCases.map((c, i) => ({
    name: `queue permissions: ${c.name}`,
    input: `${login(`q${i}`, 'q', true)}SUB ${c.subject}${c.queue ? ` ${c.queue}` : ''} 1\r\nPING\r\n`,
    out: `+OK\r\n${c.allowed ? '+OK\r\n' : subViolation(c.subject, c.queue)}PONG\r\n`,
  })),
];

function permissions(target: BrokerTarget): void {
  let broker: RunningBroker;
  const raws: RawClient[] = [];
  const conns: NatsConnection[] = [];

  /** A raw client logged in as the user, past its first PONG. */
  const session = async (user: string, pass: string, extra = ''): Promise<RawClient> => {
    const r = await RawClient.open(broker.port);
    raws.push(r);
    r.send(`${login(user, pass)}${extra}PING\r\n`);
    await r.waitFor('PONG\r\n', 5000);
    r.out = '';
    return r;
  };
  /** Sends the input ending in PING and waits for its PONG; returns what came before and clears it. */
  const roundTrip = async (r: RawClient, input: string): Promise<string> => {
    r.send(`${input}PING\r\n`);
    await r.until(() => r.out.endsWith('PONG\r\n') || r.closed, 'PONG', 5000);
    const out = r.out;
    r.out = '';
    return out;
  };
  const request = async (server: RawClient, client: RawClient, subject: string, reply: string): Promise<void> => {
    await roundTrip(client, `PUB ${subject} ${reply} 3\r\nreq\r\n`);
    await server.until(() => server.out.includes(`MSG ${subject}`), 'the request', 5000);
    server.out = '';
  };

  beforeAll(async () => {
    broker = await target.start({ users });
  });
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it.each(conversations.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const r = await talk(broker.port, c.input, 5000);
    expect(r.out).toBe(c.out);
    expect(r.closed).toBe(c.closed ?? false);
  });

  it('says auth_required in INFO and no nonce without nkey users', async () => {
    const r = await talk(broker.port, `${login('gateway', 'gw-pass')}PING\r\n`);
    const info = JSON.parse(r.info.slice(5, -3));
    expect(info.auth_required).toBe(true);
    expect(info.nonce).toBeUndefined();
  });

  it('does not deliver what a deny list hides from a wildcard subscription', async () => {
    const watcher = await session('watcher', 'w', 'SUB > 1\r\n');
    const gateway = await session('gateway', 'gw-pass');
    await roundTrip(gateway, 'PUB secret.plans 1\r\na\r\nPUB public.news 1\r\nb\r\nPUB secret 1\r\nc\r\n');
    expect(await roundTrip(watcher, '')).toBe('MSG public.news 1 1\r\nb\r\nMSG secret 1 1\r\nc\r\nPONG\r\n');
  });

  it('lets a service answer a request it received once (allow_responses: true)', async () => {
    const orders = await session('orders', 'orders-pass', 'SUB mesh.orders.create q 1\r\n');
    const gateway = await session('gateway', 'gw-pass', 'SUB _INBOX.gw.> 9\r\n');
    await request(orders, gateway, 'mesh.orders.create', '_INBOX.gw.1');
    expect(await roundTrip(orders, 'PUB _INBOX.gw.1 2\r\nok\r\nPUB _INBOX.gw.1 5\r\nagain\r\nPUB _INBOX.gw.2 1\r\nx\r\n')).toBe(
      `${pubViolation('_INBOX.gw.1')}${pubViolation('_INBOX.gw.2')}PONG\r\n`,
    );
    expect(await roundTrip(gateway, '')).toBe('MSG _INBOX.gw.1 9 2\r\nok\r\nPONG\r\n');
  });

  it('allow_responses {max: 2}: two replies pass, the third is refused', async () => {
    const twice = await session('twice', 't', 'SUB svc.twice 1\r\n');
    const gateway = await session('gateway', 'gw-pass', 'SUB reply 9\r\n');
    await request(twice, gateway, 'svc.twice', 'reply');
    expect(await roundTrip(twice, 'PUB reply 1\r\n1\r\nPUB reply 1\r\n2\r\nPUB reply 1\r\n3\r\n')).toBe(`${pubViolation('reply')}PONG\r\n`);
    expect(await roundTrip(gateway, '')).toBe('MSG reply 9 1\r\n1\r\nMSG reply 9 1\r\n2\r\nPONG\r\n');
  });

  it('allow_responses {expires}: a reply after the time is refused', async () => {
    const brief = await session('brief', 'b', 'SUB svc.brief 1\r\n');
    const gateway = await session('gateway', 'gw-pass', 'SUB r.* 9\r\n');
    await request(brief, gateway, 'svc.brief', 'r.early');
    expect(await roundTrip(brief, 'PUB r.early 1\r\n1\r\n')).toBe('PONG\r\n');
    expect(await roundTrip(gateway, '')).toBe('MSG r.early 9 1\r\n1\r\nPONG\r\n');
    await request(brief, gateway, 'svc.brief', 'r.late');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await roundTrip(brief, 'PUB r.late 1\r\n2\r\nPUB r.early 1\r\n3\r\n')).toBe(`${pubViolation('r.late')}${pubViolation('r.early')}PONG\r\n`);
    expect(await roundTrip(gateway, '')).toBe('PONG\r\n');
  });

  it('allow_responses with negative max and expires has no limit', async () => {
    const endless = await session('endless', 'e', 'SUB svc.endless 1\r\n');
    const gateway = await session('gateway', 'gw-pass', 'SUB back 9\r\n');
    await request(endless, gateway, 'svc.endless', 'back');
    expect(await roundTrip(endless, 'PUB back 1\r\n1\r\nPUB back 1\r\n2\r\nPUB back 1\r\n3\r\n')).toBe('PONG\r\n');
    expect(await roundTrip(gateway, '')).toBe('MSG back 9 1\r\n1\r\nMSG back 9 1\r\n2\r\nMSG back 9 1\r\n3\r\nPONG\r\n');
  });

  it('nats.js sees a refused publish as a permissions status and stays connected', async () => {
    const orders = await connect({ servers: broker.url, user: 'orders', pass: 'orders-pass', reconnect: false });
    conns.push(orders);
    const seen = (async () => {
      for await (const s of orders.status()) if (s.type === 'error') return s;
    })();
    orders.publish('mesh.greeter.hello', sc.encode('forged'));
    const status = await seen;
    expect(status).toMatchObject({ data: 'PERMISSIONS_VIOLATION', permissionContext: { operation: 'publish', subject: 'mesh.greeter.hello' } });
    await orders.flush();
    expect(orders.isClosed()).toBe(false);
  });

  it('serves nats.js requests to a service that may only answer', async () => {
    const service = await connect({ servers: broker.url, user: 'twice', pass: 't', reconnect: false });
    conns.push(service);
    service.subscribe('svc.twice', { callback: (_e, m) => m.respond(sc.encode(`hello ${sc.decode(m.data)}`)) });
    await service.flush();
    const gateway = await connect({ servers: broker.url, user: 'gateway', pass: 'gw-pass', reconnect: false });
    conns.push(gateway);
    const reply = await gateway.request('svc.twice', sc.encode('ann'), { timeout: 5000 });
    expect(sc.decode(reply.data)).toBe('hello ann');
  });
}

/** nkey users: the INFO nonce, signed with ed25519; both base64 forms. */
function nkeyUsers(target: BrokerTarget): void {
  let broker: RunningBroker;
  const alice = nkeys.createUser();
  const stranger = nkeys.createUser();
  const alicePub = alice.getPublicKey();
  const sign = (kp: typeof alice, nonce: string) => Buffer.from(kp.sign(Buffer.from(nonce, 'utf8')));
  const nkeyConnect = (nkey: string, sig?: string) => `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, nkey, sig })}\r\nPING\r\n`;
  /** Logs in with a CONNECT made from the nonce of this connection's INFO. */
  const attempt = async (make: (nonce: string) => string) => {
    const r = await RawClient.open(broker.port);
    try {
      const nonce = JSON.parse(r.info.slice(5, -3)).nonce as string;
      r.send(make(nonce));
      await r.until(() => r.closed || r.out.endsWith('PONG\r\n'), 'PONG or close', 5000);
      return { out: r.out, closed: r.closed };
    } finally {
      r.close();
    }
  };

  beforeAll(async () => {
    broker = await target.start({ users: [{ nkey: alicePub, permissions: { publish: 'nk.>' } }, { user: 'bob', password: 'pw' }] });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('sends a nonce in INFO', async () => {
    const r = await talk(broker.port, `${login('bob', 'pw')}PING\r\n`);
    expect(r.out).toBe('PONG\r\n');
    expect(JSON.parse(r.info.slice(5, -3)).nonce).toMatch(/^[A-Za-z0-9_-]{15,}$/);
  });

  it('accepts the signature of the nonce in base64url and in standard base64, and applies the permissions', async () => {
    expect(await attempt((nonce) => nkeyConnect(alicePub, sign(alice, nonce).toString('base64url')))).toEqual({ out: 'PONG\r\n', closed: false });
    expect(await attempt((nonce) => nkeyConnect(alicePub, sign(alice, nonce).toString('base64')))).toEqual({ out: 'PONG\r\n', closed: false });
    const r = await attempt((nonce) => `${nkeyConnect(alicePub, sign(alice, nonce).toString('base64url')).replace('PING\r\n', '')}PUB nk.a 0\r\n\r\nPUB other 0\r\n\r\nPING\r\n`);
    expect(r).toEqual({ out: `${pubViolation('other')}PONG\r\n`, closed: false });
  });

  it.each([
    ['a missing signature', () => nkeyConnect(alicePub)],
    ['an empty signature', () => nkeyConnect(alicePub, '')],
    ['a signature that is not base64', () => nkeyConnect(alicePub, '!!not base64!!')],
    ['a signature of another nonce', () => nkeyConnect(alicePub, sign(alice, 'another-nonce12').toString('base64url'))],
    ['a signature by another key', (nonce: string) => nkeyConnect(alicePub, sign(stranger, nonce).toString('base64url'))],
    ['an unknown nkey', (nonce: string) => nkeyConnect(stranger.getPublicKey(), sign(stranger, nonce).toString('base64url'))],
    ['a malformed nkey', (nonce: string) => nkeyConnect('UNOTAKEY', sign(alice, nonce).toString('base64url'))],
  ])('refuses %s', async (_name, make: (nonce: string) => string) => {
    expect(await attempt(make)).toEqual({ out: AUTH_VIOLATION, closed: true });
  });

  it("refuses a signature replayed from another connection's nonce", async () => {
    const first = await RawClient.open(broker.port);
    try {
      const stolen = sign(alice, JSON.parse(first.info.slice(5, -3)).nonce).toString('base64url');
      expect(await attempt(() => nkeyConnect(alicePub, stolen))).toEqual({ out: AUTH_VIOLATION, closed: true });
    } finally {
      first.close();
    }
  });

  it("works with nats.js's nkeyAuthenticator", async () => {
    const nc = await connect({ servers: broker.url, authenticator: nkeyAuthenticator(alice.getSeed()), reconnect: false });
    try {
      const sub = nc.subscribe('nk.echo', { max: 1 });
      nc.publish('nk.echo', sc.encode('signed'));
      for await (const m of sub) expect(sc.decode(m.data)).toBe('signed');
    } finally {
      await nc.close();
    }
    const bad = nkeyAuthenticator(stranger.getSeed());
    await expect(connect({ servers: broker.url, authenticator: bad, reconnect: false })).rejects.toThrow(/Authorization/i);
  });
}

describe(`broker permissions: ${embeddedTarget.name}`, () => permissions(embeddedTarget));
describeWithNatsServer(`broker permissions: ${natsServerTarget.name}`, () => permissions(natsServerTarget));
describe(`broker nkey users: ${embeddedTarget.name}`, () => nkeyUsers(embeddedTarget));
describeWithNatsServer(`broker nkey users: ${natsServerTarget.name}`, () => nkeyUsers(natsServerTarget));

describe('embedded broker log lines', () => {
  it('name the user and the subject, never a password or a seed', async () => {
    const lines: string[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const kp = nkeys.createUser();
    const seed = new TextDecoder().decode(kp.getSeed());
    const broker = await new EmbeddedBroker({
      port: 0,
      logger,
      users: [{ user: 'orders', password: 'orders-secret-pass', permissions: { publish: 'mesh.billing.*', subscribe: 'mesh.orders.* q' } }, { nkey: kp.getPublicKey() }],
    }).start();
    try {
      await talk(broker.port, `${login('orders', 'orders-secret-pass')}SUB mesh.greeter.hello q 1\r\nPUB mesh.greeter.hello 0\r\n\r\nPING\r\n`);
      await talk(broker.port, `${login('orders', 'wrong-pass-123')}PING\r\n`);
      await talk(broker.port, `CONNECT {"nkey":"${kp.getPublicKey()}","sig":"AAAA"}\r\nPING\r\n`);
      const text = lines.join('\n');
      expect(text).toContain('(user "orders"): Permissions Violation for Subscription to "mesh.greeter.hello" using queue "q"');
      expect(text).toContain('(user "orders"): Permissions Violation for Publish to "mesh.greeter.hello"');
      expect(text).toContain('authorization violation, user "orders"');
      expect(text).toContain(`authorization violation, user "${kp.getPublicKey()}"`);
      for (const secret of ['orders-secret-pass', 'wrong-pass-123', seed]) expect(text).not.toContain(secret);
    } finally {
      await broker.close();
    }
  });
});
