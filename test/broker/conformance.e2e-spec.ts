/**
 * One conformance suite, run against the embedded broker and against a real nats-server:
 * the official nats.js client and raw sockets, same expectations byte for byte.
 */
import { connect, ErrorCode, headers, NatsConnection, NatsError, StringCodec, Subscription } from 'nats';
import { describeWithNatsServer } from '../support/nats-server';
import { RawClient, talk } from './raw-client';
import { BrokerTarget, embeddedTarget, natsServerTarget, RunningBroker } from './targets';

jest.setTimeout(20_000);

const sc = StringCodec();
const C = 'CONNECT {"verbose":false,"pedantic":false}\r\n';
const CV = 'CONNECT {"verbose":true,"pedantic":false}\r\n';

/** Collects the next n messages of a subscription, or fails after timeoutMs. */
async function take(sub: Subscription, n: number, timeoutMs = 3000): Promise<string[]> {
  const got: string[] = [];
  if (n === 0) return got;
  const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
  for await (const m of sub) {
    got.push(`${m.subject}:${sc.decode(m.data)}`);
    if (got.length === n) break;
  }
  clearTimeout(timer);
  return got;
}

/** Resolves with the promise, or fails after ms; the timer never outlives it. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once check() holds (polled every 5 ms), or fails after ms. */
async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Messages that arrive within a short window (to prove that nothing else comes). */
async function drainFor(sub: Subscription, ms: number): Promise<string[]> {
  const got: string[] = [];
  const timer = setTimeout(() => sub.unsubscribe(), ms);
  for await (const m of sub) got.push(`${m.subject}:${sc.decode(m.data)}`);
  clearTimeout(timer);
  return got;
}

function conformance(target: BrokerTarget): void {
  let broker: RunningBroker;
  const conns: NatsConnection[] = [];
  const raws: RawClient[] = [];
  const extra: RunningBroker[] = [];

  const nc = async (opts: Parameters<typeof connect>[0] = {}, on = broker): Promise<NatsConnection> => {
    const c = await connect({ servers: on.url, reconnect: false, ...opts });
    conns.push(c);
    return c;
  };
  const raw = async (port = broker.port): Promise<RawClient> => {
    const r = await RawClient.open(port);
    raws.push(r);
    return r;
  };
  const startExtra = async (settings: Parameters<BrokerTarget['start']>[0]): Promise<RunningBroker> => {
    const b = await target.start(settings);
    extra.push(b);
    return b;
  };

  beforeAll(async () => {
    broker = await target.start();
  });
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await Promise.all(conns.splice(0).map((c) => c.close().catch(() => undefined)));
    await Promise.all(extra.splice(0).map((b) => b.stop()));
  });
  afterAll(async () => {
    await broker?.stop();
  });

  describe('connection', () => {
    it('sends INFO with the expected fields', async () => {
      const r = await raw();
      expect(r.info.startsWith('INFO {')).toBe(true);
      expect(r.info.endsWith('} \r\n')).toBe(true);
      const info = JSON.parse(r.info.slice(5, -3));
      expect(info).toMatchObject({ proto: 1, headers: true, max_payload: 1048576, port: broker.port, client_ip: '127.0.0.1' });
      expect(info.server_id).toMatch(/^N[A-Z2-7]{55}$/);
      expect(typeof info.server_name).toBe('string');
      expect(info.version).toMatch(/^2\.\d+\.\d+/);
      expect(typeof info.client_id).toBe('number');
      expect(typeof info.go).toBe('string');
      expect(info.host).toBe('127.0.0.1');
      expect(info.auth_required).toBeUndefined();
      expect(Object.keys(info).slice(0, 8)).toEqual(['server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers']);
    });

    it('assumes verbose before CONNECT and for fields CONNECT leaves out', async () => {
      expect((await talk(broker.port, 'PUB a 1\r\nx\r\nPING\r\n')).out).toBe('+OK\r\nPONG\r\n');
      expect((await talk(broker.port, 'CONNECT {}\r\nSUB a 1\r\nPING\r\n')).out).toBe('+OK\r\n+OK\r\nPONG\r\n');
    });

    it('accepts operations in any case and lines ended by LF alone', async () => {
      const r = await talk(broker.port, 'connect {"verbose":false}\r\nsub foo 1\r\npUb foo 1\r\nx\r\nping\npong\nPiNg\r\n');
      expect(r.out).toBe('MSG foo 1 1\r\nx\r\nPONG\r\nPONG\r\n');
    });

    it.each([['{bad'], ['[1]'], ['{"verbose":"yes"}'], ['{"verbose":false} trailing']])('closes without -ERR on CONNECT %s', async (json) => {
      const r = await talk(broker.port, `CONNECT ${json}\r\nPING\r\n`);
      expect(r).toMatchObject({ out: '', closed: true });
    });

    it('refuses an unknown client protocol', async () => {
      const r = await talk(broker.port, 'CONNECT {"protocol":5}\r\nPING\r\n');
      expect(r).toMatchObject({ out: "-ERR 'invalid client protocol'\r\n", closed: true });
    });

    it('refuses no_responders without headers', async () => {
      const r = await talk(broker.port, 'CONNECT {"headers":false,"no_responders":true}\r\nPING\r\n');
      expect(r).toMatchObject({ out: "-ERR 'no responders requires headers support'\r\n", closed: true });
    });

    it('answers verbose clients with +OK for CONNECT, SUB, PUB and UNSUB', async () => {
      const r = await talk(broker.port, `${CV}SUB a 1\r\nPUB b 1\r\nx\r\nUNSUB 1\r\nUNSUB 99\r\nPING\r\n`);
      expect(r.out).toBe('+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\nPONG\r\n');
    });

    it('ignores +OK and INFO from the client and closes on its -ERR', async () => {
      expect((await talk(broker.port, `${C}+OK\r\nINFO {}\r\nPING\r\n`)).out).toBe('PONG\r\n');
      const r = await raw();
      r.send(`${C}PING\r\n-ERR 'oops'\r\n`);
      await r.waitClosed();
      expect(r.out).toBe('PONG\r\n');
    });
  });

  describe('publish and subscribe', () => {
    it('delivers with and without a reply subject', async () => {
      const r = await talk(broker.port, `${C}SUB foo 1\r\nPUB foo 5\r\nhello\r\nPUB foo bar 0\r\n\r\nPING\r\n`);
      expect(r.out).toBe('MSG foo 1 5\r\nhello\r\nMSG foo 1 bar 0\r\n\r\nPONG\r\n');
    });

    it('delivers through the nats client, with a reply subject', async () => {
      const a = await nc();
      const sub = a.subscribe('greet.*');
      await a.flush();
      const b = await nc();
      b.publish('greet.joe', sc.encode('hi'), { reply: 'back' });
      const [m] = await take(sub, 1);
      expect(m).toBe('greet.joe:hi');
    });

    it('matches * on one token only', async () => {
      const a = await nc();
      const sub = a.subscribe('a.*.c');
      await a.flush();
      for (const s of ['a.b.c', 'a.b', 'a.b.c.d', 'a.x.c', 'b.b.c']) a.publish(s, sc.encode('1'));
      await a.flush();
      expect(await drainFor(sub, 300)).toEqual(['a.b.c:1', 'a.x.c:1']);
    });

    it('matches > on one or more tokens', async () => {
      const a = await nc();
      const sub = a.subscribe('a.>');
      await a.flush();
      for (const s of ['a', 'a.b', 'a.b.c', 'b.a']) a.publish(s, sc.encode('1'));
      await a.flush();
      expect(await drainFor(sub, 300)).toEqual(['a.b:1', 'a.b.c:1']);
    });

    it('treats odd characters and partial wildcards as literals', async () => {
      const subjects = ['a*b', 'x.b>', 'é.ü', '$SRV.PING', 'a-b_c~d', 'UPPER.lower'];
      const a = await nc();
      const subs = subjects.map((s) => a.subscribe(s));
      await a.flush();
      for (const s of subjects) a.publish(s, sc.encode('v'));
      a.publish('axb', sc.encode('no'));
      for (let i = 0; i < subjects.length; i++) expect(await take(subs[i], 1)).toEqual([`${subjects[i]}:v`]);
    });

    it('refuses invalid SUB subjects with -ERR and keeps the connection', async () => {
      const r = await talk(broker.port, `${C}SUB foo..bar 1\r\nSUB .a 2\r\nSUB a. 3\r\nSUB >.a 4\r\nSUB a.>.b 5\r\nSUB ok.> 6\r\nPUB ok.1 1\r\nx\r\nPING\r\n`);
      expect(r.out).toBe("-ERR 'Invalid Subject'\r\n".repeat(5) + 'MSG ok.1 6 1\r\nx\r\nPONG\r\n');
    });

    it('closes on a SUB or PUB with the wrong arguments, without -ERR', async () => {
      for (const bad of ['SUB foo\r\n', 'SUB a b c d\r\n', 'PUB foo\r\n', 'PUB foo x\r\n', 'PUB a b c 1\r\n', 'PUB foo 1234567890\r\n']) {
        const r = await talk(broker.port, `${C}${bad}PING\r\n`);
        expect([bad, r.out, r.closed]).toEqual([bad, '', true]);
      }
    });

    it('warns pedantic publishers of wildcard subjects and still delivers', async () => {
      const r = await talk(broker.port, 'CONNECT {"verbose":true,"pedantic":true}\r\nSUB a.> 1\r\nPUB a.> 1\r\nx\r\nPING\r\n');
      expect(r.out).toBe("+OK\r\n+OK\r\n-ERR 'Invalid Publish Subject'\r\n+OK\r\nMSG a.> 1 1\r\nx\r\nPONG\r\n");
    });

    it('delivers once to each of two subscriptions on one connection', async () => {
      const r = await talk(broker.port, `${C}SUB a 1\r\nSUB a 2\r\nPUB a 1\r\nx\r\nUNSUB 2\r\nPUB a 1\r\ny\r\nPING\r\n`);
      const lines = r.out.split('\r\n');
      expect(lines.filter((l) => l.startsWith('MSG')).sort()).toEqual(['MSG a 1 1', 'MSG a 1 1', 'MSG a 2 1']);
      expect(r.out.endsWith('MSG a 1 1\r\ny\r\nPONG\r\n')).toBe(true);
    });

    it('ignores a SUB that reuses a sid', async () => {
      const r = await talk(broker.port, `${CV}SUB foo 1\r\nSUB foo 1\r\nPUB foo 1\r\nx\r\nPING\r\n`);
      expect(r.out).toBe('+OK\r\n+OK\r\n+OK\r\n+OK\r\nMSG foo 1 1\r\nx\r\nPONG\r\n');
    });

    it('auto-unsubscribes after UNSUB max', async () => {
      const r = await talk(broker.port, `${C}SUB foo 1\r\nUNSUB 1 2\r\nPUB foo 1\r\nx\r\nPUB foo 1\r\ny\r\nPUB foo 1\r\nz\r\nPING\r\n`);
      expect(r.out).toBe('MSG foo 1 1\r\nx\r\nMSG foo 1 1\r\ny\r\nPONG\r\n');
      const n = await nc();
      const sub = n.subscribe('max', { max: 3 });
      for (let i = 0; i < 5; i++) n.publish('max', sc.encode(String(i)));
      expect(await drainFor(sub, 300)).toEqual(['max:0', 'max:1', 'max:2']);
    });

    it('removes at once on UNSUB 0 or a max already reached', async () => {
      const r = await talk(broker.port, `${C}SUB foo 1\r\nPUB foo 1\r\nx\r\nUNSUB 1 1\r\nSUB bar 2\r\nUNSUB 2 0\r\nPUB foo 1\r\ny\r\nPUB bar 1\r\nz\r\nPING\r\n`);
      expect(r.out).toBe('MSG foo 1 1\r\nx\r\nPONG\r\n');
    });

    it('does not echo to a client that turned echo off', async () => {
      const quiet = await nc({ noEcho: true });
      const other = await nc();
      const own = quiet.subscribe('echo');
      const theirs = other.subscribe('echo');
      await quiet.flush();
      await other.flush();
      quiet.publish('echo', sc.encode('q'));
      other.publish('echo', sc.encode('o'));
      await quiet.flush();
      expect((await drainFor(theirs, 300)).sort()).toEqual(['echo:o', 'echo:q']);
      expect(await drainFor(own, 50)).toEqual(['echo:o']);
    });

    it('closes the connection of a client that sent a bad payload length', async () => {
      const r = await talk(broker.port, `${C}PUB foo 1\r\nxx\r\nPING\r\n`);
      expect(r).toMatchObject({ out: "-ERR 'Unknown Protocol Operation'\r\n", closed: true });
    });
  });

  describe('queue groups', () => {
    it('balances between members and gives each message to one', async () => {
      const a = await nc();
      const b = await nc();
      const qa = a.subscribe('work', { queue: 'q' });
      const qb = b.subscribe('work', { queue: 'q' });
      await a.flush();
      await b.flush();
      const p = await nc();
      for (let i = 0; i < 200; i++) p.publish('work', sc.encode(String(i)));
      await p.flush();
      const [ga, gb] = await Promise.all([drainFor(qa, 500), drainFor(qb, 500)]);
      expect(ga.length + gb.length).toBe(200);
      expect(ga.length).toBeGreaterThan(40);
      expect(gb.length).toBeGreaterThan(40);
      expect(new Set([...ga, ...gb]).size).toBe(200);
    });

    it('delivers one copy per group and one to every plain subscriber', async () => {
      const r = await talk(
        broker.port,
        `${C}SUB job g1 1\r\nSUB job g1 2\r\nSUB job g2 3\r\nSUB job g2 4\r\nSUB job 5\r\nSUB job 6\r\nPUB job 1\r\nx\r\nPING\r\n`,
      );
      const sids = r.out.split('\r\n').filter((l) => l.startsWith('MSG')).map((l) => Number(l.split(' ')[2]));
      expect(sids).toHaveLength(4);
      expect(sids.filter((s) => s === 1 || s === 2)).toHaveLength(1);
      expect(sids.filter((s) => s === 3 || s === 4)).toHaveLength(1);
      expect(sids).toEqual(expect.arrayContaining([5, 6]));
    });
  });

  describe('headers', () => {
    it('round-trips headers through the nats client', async () => {
      const a = await nc();
      const sub = a.subscribe('h');
      await a.flush();
      const h = headers();
      h.set('X-Trace', 'abc');
      h.append('X-Multi', '1');
      h.append('X-Multi', '2');
      a.publish('h', sc.encode('body'), { headers: h });
      for await (const m of sub) {
        expect(sc.decode(m.data)).toBe('body');
        expect(m.headers?.get('X-Trace')).toBe('abc');
        expect(m.headers?.values('X-Multi')).toEqual(['1', '2']);
        break;
      }
    });

    it('sends HMSG to header clients and strips headers for the others', async () => {
      const plain = await raw();
      plain.send('CONNECT {"verbose":false,"headers":false}\r\nSUB h 1\r\nPING\r\n');
      await plain.waitFor('PONG\r\n');
      const r = await talk(broker.port, 'CONNECT {"verbose":false,"headers":true}\r\nSUB h 1\r\nHPUB h r 18 19\r\nNATS/1.0\r\nA: b\r\n\r\nx\r\nPING\r\n');
      expect(r.out).toBe('HMSG h 1 r 18 19\r\nNATS/1.0\r\nA: b\r\n\r\nx\r\nPONG\r\n');
      await plain.waitFor('MSG h 1 r 1\r\nx\r\n');
      expect(plain.out).toBe('PONG\r\nMSG h 1 r 1\r\nx\r\n');
    });

    it('closes a client that sends HPUB without agreeing headers', async () => {
      const r = await talk(broker.port, `${C}HPUB foo 12 14\r\nNATS/1.0\r\n\r\nxx\r\nPING\r\n`);
      expect(r).toMatchObject({ out: '', closed: true });
    });
  });

  describe('request and reply', () => {
    it('replies through the nats client', async () => {
      const responder = await nc();
      responder.subscribe('add', { callback: (_e, m) => m.respond(sc.encode(String(Number(sc.decode(m.data)) + 1))) });
      await responder.flush();
      const requester = await nc();
      const reply = await requester.request('add', sc.encode('41'), { timeout: 2000 });
      expect(sc.decode(reply.data)).toBe('42');
    });

    it('answers a request nobody serves with no-responders at once', async () => {
      const requester = await nc();
      const started = Date.now();
      const err = await requester.request('nobody.home', sc.encode('x'), { timeout: 5000 }).catch((e: NatsError) => e);
      expect((err as NatsError).code).toBe(ErrorCode.NoResponders);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('sends the exact 503 status message', async () => {
      const r = await talk(broker.port, 'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSUB r 1\r\nPUB nobody r 1\r\nx\r\nPUB nobody 1\r\nx\r\nPING\r\n');
      expect(r.out).toBe('HMSG r 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\nPONG\r\n');
    });

    it('times out a request that gets no reply', async () => {
      const silent = await nc();
      silent.subscribe('silent');
      await silent.flush();
      const requester = await nc();
      const started = Date.now();
      const err = await requester.request('silent', sc.encode('x'), { timeout: 300 }).catch((e: NatsError) => e);
      expect((err as NatsError).code).toBe(ErrorCode.Timeout);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('forgets the subscriptions of a closed client', async () => {
      const responder = await nc();
      responder.subscribe('svc', { callback: (_e, m) => m.respond(sc.encode('ok')) });
      await responder.flush();
      const requester = await nc();
      expect(sc.decode((await requester.request('svc', undefined, { timeout: 2000 })).data)).toBe('ok');
      await responder.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const err = await requester.request('svc', undefined, { timeout: 5000 }).catch((e: NatsError) => e);
      expect((err as NatsError).code).toBe(ErrorCode.NoResponders);
    });
  });

  describe('limits and protocol errors', () => {
    it('closes on a payload over max_payload', async () => {
      const r = await talk(broker.port, `${C}PUB foo 1048577\r\n`);
      expect(r).toMatchObject({ out: "-ERR 'Maximum Payload Violation'\r\n", closed: true });
      const ok = await talk(broker.port, `${C}SUB big 1\r\nPUB big 1048576\r\n${'x'.repeat(1048576)}\r\nPING\r\n`);
      expect(ok.out.startsWith('MSG big 1 1048576\r\n')).toBe(true);
    });

    it('honours a smaller max_payload, also in INFO', async () => {
      const small = await startExtra({ maxPayload: 1024 });
      const r = await talk(small.port, `${C}PUB foo 1025\r\n`);
      expect(JSON.parse(r.info.slice(5, -3)).max_payload).toBe(1024);
      expect(r).toMatchObject({ out: "-ERR 'Maximum Payload Violation'\r\n", closed: true });
    });

    it('closes on a control line over 4096 bytes', async () => {
      const subject = (n: number) => 'a'.repeat(n);
      expect((await talk(broker.port, `${C}PUB ${subject(4094)} 1\r\nx\r\nPING\r\n`)).out).toBe('PONG\r\n');
      const over = await talk(broker.port, `${C}PUB ${subject(4095)} 1\r\nx\r\nPING\r\n`);
      expect(over).toMatchObject({ out: "-ERR 'maximum control line exceeded'\r\n", closed: true });
      const unterminated = await talk(broker.port, `${C}SUB ${subject(10000)}`);
      expect(unterminated).toMatchObject({ out: "-ERR 'maximum control line exceeded'\r\n", closed: true });
    });

    it.each([['FOO\r\n'], ['\r\n'], ['MSG foo 1 1\r\nx\r\n'], ['UNSUB\r\n'], ['PUBLISH foo 1\r\n'], ['\x00\x01\x02']])(
      'closes with Unknown Protocol Operation on %j',
      async (junk) => {
        const r = await talk(broker.port, `${C}${junk}PING\r\n`);
        expect(r).toMatchObject({ out: "-ERR 'Unknown Protocol Operation'\r\n", closed: true });
      },
    );

    it('keeps serving others while a client misbehaves', async () => {
      const a = await nc();
      const sub = a.subscribe('still');
      await a.flush();
      await talk(broker.port, 'GARBAGE\r\n');
      a.publish('still', sc.encode('here'));
      expect(await take(sub, 1)).toEqual(['still:here']);
    });
  });

  describe('server pings', () => {
    it('pings and cuts off a client that does not answer', async () => {
      const pinging = await startExtra({ pingIntervalMs: 200, maxPingsOut: 2 });
      const r = await raw(pinging.port);
      r.send(C);
      await r.waitClosed(4000);
      expect(r.out).toBe("PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");
    });

    it('keeps a client that answers PONG', async () => {
      const pinging = await startExtra({ pingIntervalMs: 200, maxPingsOut: 2 });
      const r = await raw(pinging.port);
      r.send(C);
      for (let i = 0; i < 4; i++) {
        await r.until(() => r.out.split('PING\r\n').length - 1 > i, `PING ${i + 1}`);
        r.send('PONG\r\n');
      }
      expect(r.closed).toBe(false);
      const client = await nc({}, pinging);
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(client.isClosed()).toBe(false);
      await client.flush();
    });
  });

  describe('auth', () => {
    it('token: accepts the right one and refuses a wrong or missing one', async () => {
      const secured = await startExtra({ token: 's3cret' });
      const ok = await talk(secured.port, 'CONNECT {"verbose":false,"auth_token":"s3cret"}\r\nPING\r\n');
      expect(JSON.parse(ok.info.slice(5, -3)).auth_required).toBe(true);
      expect(ok.out).toBe('PONG\r\n');
      for (const connect of ['{"auth_token":"nope"}', '{}', '{"user":"s3cret"}']) {
        const r = await talk(secured.port, `CONNECT ${connect}\r\nPING\r\n`);
        expect(r).toMatchObject({ out: "-ERR 'Authorization Violation'\r\n", closed: true });
      }
      const client = await nc({ token: 's3cret' }, secured);
      await client.flush();
      await expect(connect({ servers: secured.url, token: 'bad', reconnect: false })).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
    });

    it('user/password: accepts a known pair and refuses the others', async () => {
      const secured = await startExtra({ users: [{ user: 'ann', password: 'pw1' }, { user: 'bob', password: 'pw2' }] });
      for (const [user, pass] of [['ann', 'pw1'], ['bob', 'pw2']]) {
        const ok = await talk(secured.port, `CONNECT {"verbose":false,"user":"${user}","pass":"${pass}"}\r\nPING\r\n`);
        expect(ok.out).toBe('PONG\r\n');
      }
      for (const connect of ['{"user":"ann","pass":"pw2"}', '{"user":"eve","pass":"pw1"}', '{"user":"ann"}', '{"auth_token":"pw1"}']) {
        const r = await talk(secured.port, `CONNECT ${connect}\r\nPING\r\n`);
        expect(r).toMatchObject({ out: "-ERR 'Authorization Violation'\r\n", closed: true });
      }
      const client = await nc({ user: 'bob', pass: 'pw2' }, secured);
      await client.flush();
    });

    it('refuses any operation before CONNECT', async () => {
      const secured = await startExtra({ token: 't' });
      const r = await talk(secured.port, 'PING\r\n');
      expect(r).toMatchObject({ out: "-ERR 'Authorization Violation'\r\n", closed: true });
    });

    it('cuts off a client that does not authenticate in time', async () => {
      const secured = await startExtra({ token: 't', authTimeoutMs: 500 });
      const r = await raw(secured.port);
      const started = Date.now();
      await r.waitClosed(4000);
      expect(r.out).toBe("-ERR 'Authentication Timeout'\r\n");
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    });
  });

  describe('slow consumers', () => {
    it('cuts off a subscriber that does not read, without slowing the others', async () => {
      const limited = await startExtra({ maxPendingBytes: 1024 * 1024 }) // nats-server wants max_pending >= max_payload;
      const slow = await raw(limited.port);
      slow.send(`${C}SUB big 1\r\nPING\r\n`);
      await slow.waitFor('PONG\r\n');
      slow.pause();
      const fast = await nc({}, limited);
      let received = 0;
      const done = new Promise<void>((resolve) => {
        fast.subscribe('big', {
          callback: () => {
            if (++received === count) resolve();
          },
        });
      });
      await fast.flush();
      const publisher = await nc({}, limited);
      const count = 400;
      const payload = new Uint8Array(64 * 1024);
      // The publisher stays at most 8 messages (512 KiB) ahead of the fast subscriber, so that only the
      // one that does not read can pass max_pending, however busy this process (which reads for the
      // fast subscriber) is; a broker that waited on the slow one would stop the fast one here.
      const window = 8;
      for (let i = 0; i < count; i++) {
        publisher.publish('big', payload);
        if (i % window === window - 1) {
          await publisher.flush();
          const sent = i + 1;
          await until(() => received >= sent - window, 10_000, () => `fast subscriber got ${received} of ${sent} sent`);
        }
      }
      await publisher.flush();
      await within(done, 10_000, () => `fast subscriber got ${received} of ${count}`);
      expect(received).toBe(count);
      slow.resume();
      await slow.waitClosed(10_000);
      expect(slow.out.split('MSG big').length - 1).toBeLessThan(count);
    });
  });

  describe('restart', () => {
    it('lets the nats client reconnect when the broker comes back on the same port', async () => {
      const first = await target.start();
      let second: RunningBroker | undefined;
      try {
        const client = await connect({ servers: first.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
        conns.push(client);
        const sub = client.subscribe('back');
        await client.flush();
        const events: string[] = [];
        const reconnected = (async () => {
          for await (const s of client.status()) {
            events.push(s.type);
            if (s.type === 'reconnect') return;
          }
        })();
        await first.stop();
        second = await target.start({ port: first.port });
        await within(reconnected, 8000, () => `no reconnect: ${events}`);
        client.publish('back', sc.encode('again'));
        expect(await take(sub, 1)).toEqual(['back:again']);
      } finally {
        await first.stop();
        await second?.stop();
      }
    });
  });
}

describe(`broker conformance: ${embeddedTarget.name}`, () => conformance(embeddedTarget));
describeWithNatsServer(`broker conformance: ${natsServerTarget.name}`, () => conformance(natsServerTarget));
