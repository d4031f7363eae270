/**
 * Fuzzing the embedded broker: thousands of random and mutated frames, and valid frames split at every
 * byte boundary. The broker must never crash, and a well-behaved client beside them keeps working.
 */
import { connect, NatsConnection, nkeys, StringCodec } from 'nats';
import { EmbeddedBroker } from '@nest-mesh/broker';
import { RawClient } from './raw-client';

jest.setTimeout(30_000);

const sc = StringCodec();

/** A small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID_FRAMES = [
  'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n',
  'CONNECT {"verbose":true}\r\n',
  'PING\r\n',
  'PONG\r\n',
  'SUB fuzz.a 1\r\n',
  'SUB fuzz.* q 2\r\n',
  'SUB > 3\r\n',
  'UNSUB 1\r\n',
  'UNSUB 2 3\r\n',
  'PUB fuzz.a 5\r\nhello\r\n',
  'PUB fuzz.b reply.x 0\r\n\r\n',
  'HPUB fuzz.a 12 14\r\nNATS/1.0\r\n\r\nhi\r\n',
  'HPUB fuzz.a r 22 24\r\nNATS/1.0\r\nK: value\r\n\r\nhi\r\n',
  'PUB nobody _INBOX.1 1\r\nx\r\n',
  '+OK\r\n',
  'INFO {}\r\n',
];

function mutate(frame: Buffer, next: () => number): Buffer {
  const bytes = [...frame];
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    switch (Math.floor(next() * 6)) {
      case 0: bytes[at] = Math.floor(next() * 256); break; // replace
      case 1: bytes.splice(at, 0, Math.floor(next() * 256)); break; // insert
      case 2: bytes.splice(at, 1); break; // delete
      case 3: bytes.splice(at, 0, ...[...'0123456789 \r\n*>.'].map((c) => c.charCodeAt(0)).slice(Math.floor(next() * 14))); break;
      case 4: bytes.splice(at); break; // truncate
      default: bytes.splice(at, 0, ...bytes.slice(0, at)); // duplicate a prefix
    }
  }
  return Buffer.from(bytes.map((b) => b & 0xff));
}

function randomBytes(next: () => number, max: number): Buffer {
  const out = Buffer.alloc(1 + Math.floor(next() * max));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('embedded broker fuzz', () => {
  let broker: EmbeddedBroker;
  let good: NatsConnection;
  let requester: NatsConnection;
  const raws = new Set<RawClient>();

  beforeAll(async () => {
    broker = await new EmbeddedBroker({ port: 0, maxPayload: 64 * 1024 }).start();
    good = await connect({ servers: broker.url, reconnect: false });
    good.subscribe('good.echo', { callback: (_e, m) => m.respond(m.data) });
    await good.flush();
    requester = await connect({ servers: broker.url, reconnect: false });
  });
  afterEach(() => {
    for (const r of raws) r.close();
    raws.clear();
  });
  afterAll(async () => {
    await good?.close();
    await requester?.close();
    await broker?.close();
  });

  const open = async () => {
    const r = await RawClient.open(broker.port);
    raws.add(r);
    return r;
  };

  async function goodClientWorks(tag: string): Promise<void> {
    const reply = await requester.request('good.echo', sc.encode(tag), { timeout: 2000 });
    expect(sc.decode(reply.data)).toBe(tag);
  }

  it('survives thousands of random and mutated frames', async () => {
    const next = rng(20240601);
    const connections = 80;
    const framesPerConnection = 100;
    let sent = 0;
    for (let batch = 0; batch < connections; batch += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const r = await open();
          for (let f = 0; f < framesPerConnection && !r.closed; f++) {
            const roll = next();
            let frame: Buffer;
            if (roll < 0.4) frame = Buffer.from(VALID_FRAMES[Math.floor(next() * VALID_FRAMES.length)], 'latin1');
            else if (roll < 0.85) frame = mutate(Buffer.from(VALID_FRAMES[Math.floor(next() * VALID_FRAMES.length)], 'latin1'), next);
            else frame = randomBytes(next, 64);
            // Write in random pieces so frames also split at random places.
            let at = 0;
            while (at < frame.length) {
              const len = 1 + Math.floor(next() * frame.length);
              r.send(frame.subarray(at, at + len));
              at += len;
            }
            sent++;
            if (f % 25 === 0) await pause(1);
          }
          r.send('PING\r\n');
          await r.until(() => r.closed || r.out.includes('PONG'), 'PONG or close', 5000);
          r.close();
        }),
      );
      await goodClientWorks(`batch-${batch}`);
    }
    expect(sent).toBeGreaterThan(2000);
    await goodClientWorks('after-random');
  });

  it('survives oversize and endless frames', async () => {
    const r1 = await open();
    r1.send(`PUB a ${64 * 1024 + 1}\r\n`);
    await r1.waitClosed();
    const r2 = await open();
    r2.send('SUB ' + 'x'.repeat(100_000));
    await r2.waitClosed();
    const r3 = await open();
    r3.send(Buffer.alloc(200_000, 0x50)); // 'PPPP...'
    await r3.waitClosed();
    await goodClientWorks('after-oversize');
  });

  it('handles a valid stream split at every byte boundary', async () => {
    // Each connection has its own subjects (s<n>.*), so parallel connections do not see each other.
    const stream = (n: number) =>
      'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n' +
      `SUB s${n}.> 7\r\nSUB s${n}.* grp 8\r\n` +
      `PUB s${n}.a 5\r\nhello\r\n` +
      `HPUB s${n}.b rep 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n` +
      `UNSUB 8\r\nPUB s${n}.c 0\r\n\r\nPING\r\n`;
    const expected = (n: number) =>
      `MSG s${n}.a 7 5\r\nhello\r\nMSG s${n}.a 8 5\r\nhello\r\n` +
      `HMSG s${n}.b 7 rep 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\nHMSG s${n}.b 8 rep 18 20\r\nNATS/1.0\r\nA: b\r\n\r\nhi\r\n` +
      `MSG s${n}.c 7 0\r\n\r\nPONG\r\n`;
    // Within one publish, the plain and the queue subscriber may come in either order.
    const normal = (s: string) => s.split(/(?=H?MSG )/).sort().join('');
    const length = Buffer.byteLength(stream(1000));
    for (let cut = 1; cut < length; cut += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, length - cut) }, async (_, k) => {
          const at = cut + k;
          const bytes = Buffer.from(stream(1000 + at), 'latin1');
          const r = await open();
          r.send(bytes.subarray(0, at));
          await pause(2);
          r.send(bytes.subarray(at));
          await r.until(() => r.closed || r.out.endsWith('PONG\r\n'), `PONG (cut at ${at})`);
          const got = r.out;
          r.close();
          raws.delete(r);
          expect([at, normal(got)]).toEqual([at, normal(expected(1000 + at))]);
        }),
      );
    }
    await goodClientWorks('after-split');
  });
});

describe('embedded broker fuzz, with users and permissions', () => {
  let broker: EmbeddedBroker;
  let gateway: NatsConnection;
  let leaked = 0;
  let passed = 0;
  const raws = new Set<RawClient>();
  const seed = 20261125;
  const kp = nkeys.createUser();

  const FRAMES = [
    'CONNECT {"verbose":false,"pedantic":false,"user":"svc","pass":"svc-pass"}\r\n',
    'CONNECT {"verbose":true,"user":"svc","pass":"svc-pass","headers":true}\r\n',
    `CONNECT {"nkey":"${kp.getPublicKey()}","sig":"AAAAAAAA"}\r\n`,
    'CONNECT {"nkey":5,"sig":[]}\r\n',
    'CONNECT {"user":"gateway","pass":"svc-pass"}\r\n',
    'SUB fuzz.a 1\r\n',
    'SUB mesh.> 2\r\n',
    'SUB fuzz.* q 3\r\n',
    'SUB fuzz.* other 4\r\n',
    'PUB fuzz.a 5\r\nhello\r\n',
    'PUB mesh.secret 5\r\nhello\r\n',
    'PUB mesh.secret.x reply.x 0\r\n\r\n',
    'HPUB mesh.secret 12 14\r\nNATS/1.0\r\n\r\nhi\r\n',
    'PUB _INBOX.gw.1 1\r\nx\r\n',
    'PING\r\n',
  ];

  beforeAll(async () => {
    broker = await new EmbeddedBroker({
      port: 0,
      users: [
        { user: 'gateway', password: 'gw-pass' },
        { user: 'svc', password: 'svc-pass', permissions: { publish: 'fuzz.>', subscribe: ['fuzz.a', 'fuzz.* q'], allow_responses: true } },
        { nkey: kp.getPublicKey(), permissions: { publish: 'fuzz.>' } },
      ],
    }).start();
    gateway = await connect({ servers: broker.url, user: 'gateway', pass: 'gw-pass', reconnect: false });
    gateway.subscribe('mesh.>', { callback: () => leaked++ });
    gateway.subscribe('fuzz.>', { callback: () => passed++ });
    gateway.subscribe('good.echo', { callback: (_e, m) => m.respond(m.data) });
    await gateway.flush();
  });
  afterAll(async () => {
    for (const r of raws) r.close();
    await gateway?.close();
    await broker?.close();
  });

  it(`never crashes and never lets a restricted or anonymous client publish on mesh.> (seed ${seed})`, async () => {
    const next = rng(seed);
    for (let batch = 0; batch < 40; batch += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const r = await RawClient.open(broker.port);
          raws.add(r);
          // Most connections log in first (a login frame, maybe mutated); the rest start anywhere.
          if (next() < 0.8) r.send(next() < 0.7 ? FRAMES[0] : mutate(Buffer.from(FRAMES[Math.floor(next() * 5)], 'latin1'), next));
          for (let f = 0; f < 60 && !r.closed; f++) {
            const frame = Buffer.from(FRAMES[Math.floor(next() * FRAMES.length)], 'latin1');
            r.send(next() < 0.5 ? frame : mutate(frame, next));
            if (f % 20 === 0) await pause(1);
          }
          r.send('PING\r\n');
          await r.until(() => r.closed || r.out.includes('PONG'), 'PONG or close', 5000);
          r.close();
          raws.delete(r);
        }),
      );
      const reply = await gateway.request('good.echo', sc.encode(`batch-${batch}`), { timeout: 2000 });
      expect(sc.decode(reply.data)).toBe(`batch-${batch}`);
    }
    // After the fuzz, the restricted user still logs in and publishes where it may (whatever the random frames did).
    const last = await RawClient.open(broker.port);
    raws.add(last);
    last.send(`${FRAMES[0]}PUB fuzz.a 5\r\nhello\r\nPING\r\n`);
    await last.until(() => last.out.includes('PONG'), 'PONG', 5000);
    await gateway.flush();
    expect(leaked).toBe(0);
    expect(passed).toBeGreaterThan(0);
  });
});
