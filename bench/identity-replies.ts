/**
 * What the permissions of service identities cost the broker (docs/security.md#what-the-broker-keeps):
 * `calls` plain calls, then `streams` short streams (open, 2 items, a credit back, the end), from an
 * identity `caller` to an identity `svc`, both with the permissions the gateway derives, on
 * nats-server (started with what `nest-mesh nats-config` prints for them) and on the embedded broker
 * (in this process). `--hour` gives both identities the former allow_responses {max: -1, expires:
 * 61 min} instead, for comparison. Prints the time of each part and nats-server's resident memory.
 *
 *   npx ts-node --transpile-only -r tsconfig-paths/register bench/identity-replies.ts [calls=50000] [streams=5000] [--hour]
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { connect, createInbox, Empty, headers, Msg, NatsConnection } from 'nats';
import { BrokerUser, EmbeddedBroker, natsServerAuthorization } from '@nest-mesh/broker';
import { identityInboxPrefix } from '@nest-mesh/wire';
import { servicePermissions } from '../apps/gateway/src/trust/broker-users';
import { NatsServerProcess } from '../test/support/nats-server';

const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const CALLS = Number(args[0] ?? 50_000);
const STREAMS = Number(args[1] ?? 5_000);
const HOUR = process.argv.includes('--hour');
const CONCURRENCY = 64;

function users(): BrokerUser[] {
  const perms = (name: string, calls: string[]) => ({
    ...servicePermissions(name, calls),
    ...(HOUR && { allow_responses: { max: -1, expires: 3_660_000 } }),
  });
  return [
    { user: 'caller', password: 'caller-pass', permissions: perms('caller', ['svc.*']) },
    { user: 'svc', password: 'svc-pass', permissions: perms('svc', []) },
  ];
}

/** `svc`: echoes plain calls; streams open, 2 items and the end, its control subjects under `_INBOX.svc.c.<nuid>`. */
async function serve(url: string): Promise<{ nc: NatsConnection; credits: () => number }> {
  const nc = await connect({ servers: url, user: 'svc', pass: 'svc-pass', inboxPrefix: identityInboxPrefix('svc') });
  let credits = 0;
  const control = createInbox(`${identityInboxPrefix('svc')}.c`);
  nc.subscribe(`${control}.*`, { callback: () => credits++ });
  nc.subscribe('mesh.svc.echo', { queue: 'q', callback: (_, msg) => msg.respond(msg.data) });
  nc.subscribe('mesh.svc.count', {
    queue: 'q',
    callback: (_, msg) => {
      const reply = `${control}.${randomUUID()}`;
      msg.respond(Empty, { headers: header('Mesh-Stream', 'open'), reply });
      for (const seq of ['1', '2']) msg.respond(Empty, { headers: header('Mesh-Stream-Seq', seq), reply });
      msg.respond(Empty, { headers: header('Mesh-Stream-End', '2') });
    },
  });
  await nc.flush();
  return { nc, credits: () => credits };
}

async function plainCalls(nc: NatsConnection): Promise<number> {
  let left = CALLS;
  const started = Date.now();
  const loop = async () => {
    while (left-- > 0) await nc.request('mesh.svc.echo', Empty, { timeout: 30_000 });
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return Date.now() - started;
}

/** Streams from `caller`'s stream inbox `_INBOX.caller.s.<nuid>.<uuid>`; a credit back to the control subject of each. */
async function streams(nc: NatsConnection): Promise<number> {
  const inbox = createInbox(`${identityInboxPrefix('caller')}.s`);
  const waiting = new Map<string, () => void>();
  nc.subscribe(`${inbox}.*`, {
    callback: (_, msg: Msg) => {
      if (msg.headers?.get('Mesh-Stream-Seq') === '2') nc.publish(msg.reply!, Empty, { headers: header('Mesh-Stream-Credit', '2') });
      if (msg.headers?.get('Mesh-Stream-End')) waiting.get(msg.subject)?.();
    },
  });
  await nc.flush();
  let left = STREAMS;
  const started = Date.now();
  const loop = async () => {
    while (left-- > 0) {
      const reply = `${inbox}.${randomUUID()}`;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a stream did not end within 30 s')), 30_000);
        waiting.set(reply, () => {
          clearTimeout(timer);
          waiting.delete(reply);
          resolve();
        });
        nc.publish('mesh.svc.count', Empty, { reply, headers: header('Mesh-Stream', '2') });
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return Date.now() - started;
}

async function run(name: string, url: string, rss?: () => string): Promise<void> {
  const service = await serve(url);
  const caller = await connect({ servers: url, user: 'caller', pass: 'caller-pass', inboxPrefix: identityInboxPrefix('caller') });
  try {
    const before = rss?.();
    const plain = await plainCalls(caller);
    const afterPlain = rss?.();
    const streamed = await streams(caller);
    await caller.flush();
    await service.nc.flush();
    const memory = rss ? `; nats-server RSS ${before} -> ${afterPlain} -> ${rss()}` : '';
    console.log(`${name}: ${CALLS} plain calls ${(plain / 1000).toFixed(1)} s, ${STREAMS} streams ${(streamed / 1000).toFixed(1)} s (${service.credits()} credits heard)${memory}`);
  } finally {
    await caller.close();
    await service.nc.close();
  }
}

async function main(): Promise<void> {
  console.log(`identities with ${HOUR ? 'allow_responses {max: -1, expires: 61 min} (the former derivation)' : 'the derived permissions'}, concurrency ${CONCURRENCY}`);
  const nats = await new NatsServerProcess({ config: natsServerAuthorization(users()) }).start();
  const rss = () => `${Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${nats.pid}/status`, 'utf8'))![1]) / 1024)} MB`;
  try {
    await run('nats-server', nats.url, rss);
  } finally {
    await nats.stop();
  }
  const broker = await new EmbeddedBroker({ port: 0, users: users() }).start();
  try {
    await run('embedded broker', broker.url);
  } finally {
    await broker.close();
  }
}

function header(name: string, value: string) {
  const h = headers();
  h.set(name, value);
  return h;
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
