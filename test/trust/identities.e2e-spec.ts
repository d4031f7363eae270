import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { headers as natsHeaders, NatsConnection, nkeys } from 'nats';
import { identityInboxPrefix } from 'nest-mesh';
import { parseConfig } from '../../apps/gateway/src/config/load-config';
import { renderNatsConfig } from '../../apps/gateway/src/trust/nats-authorization';
import { TestProcess } from '../support/child';
import { freePort } from '../support/free-port';
import { BROKERS, JWT_SECRET, post, startGateway } from '../support/mesh';
import { writeConfig } from '../support/config-file';
import { signToken } from '../support/tokens';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';
import { mustConnect, tryConnect } from './broker-access';
import { testProgram } from '../support/programs';

const GATEWAY_PASSWORD = 'gw-pass-e2e-7';
const ORDERS_PASSWORD = 'orders-pass-e2e-7';
const BILLING_PASSWORD = 'billing-pass-e2e-7';

function startIdentityService(service: 'orders' | 'billing', env: Record<string, string>): Promise<TestProcess> {
  return TestProcess.start(
    `${service} service`,
    process.execPath,
    [testProgram('identity-services')],
    { env: { SERVICE: service, ...env }, ready: /^ready$/m, timeoutMs: 40_000 },
  );
}


/**
 * Services that log in as mesh identities and verify the gateway's Mesh-Token: calls, forwarding,
 * the func rule, and direct attacks on the broker (docs/security.md). The embedded broker enforces
 * the derived permissions itself; nats-server enforces what `nest-mesh nats-config` prints.
 */
for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`service identities and Mesh-Token (${kind})`, () => {
    const billingKey = nkeys.createUser() as { getPublicKey(): string; getSeed(): Uint8Array };
    const started: { stop(): Promise<void> }[] = [];
    let url: string;
    let brokerUrl: string;
    let gateway: TestProcess;
    let orders: TestProcess;
    let billing: TestProcess;
    let attacker: NatsConnection;
    let userJwt: string;
    let adminJwt: string;

    beforeAll(async () => {
      const billingLogin = { nkey: billingKey.getPublicKey() };
      const natsPort = await freePort();
      const config = {
        id: 'demo',
        secret: JWT_SECRET,
        port: await freePort(),
        modules: {
          functions: {
            ...(kind === 'nats-server'
              ? { conn: `nats://nest-mesh-gateway:${GATEWAY_PASSWORD}@127.0.0.1:${natsPort}` }
              : { embedded: { host: '127.0.0.1', port: natsPort } }),
            services: { orders: { password: ORDERS_PASSWORD, calls: ['billing.charge', 'billing.history'] }, billing: { ...billingLogin, calls: [] } },
            rules: {
              orders: { guarded: { rule: 'func', service: 'billing', func: 'allow' }, default: { rule: 'allow' } },
              billing: { default: { rule: 'allow' } },
            },
          },
        },
      };
      if (kind === 'nats-server') {
        // The broker enforces what `nest-mesh nats-config` prints for this very config.
        const nats = new NatsServerProcess({ port: natsPort, config: renderNatsConfig(parseConfig(JSON.stringify(config), {})) });
        started.push(nats);
        await nats.start();
      }
      const configPath = writeConfig(config);
      const running = await startGateway(configPath);
      gateway = running.process;
      started.push(gateway);
      url = running.url;
      brokerUrl = running.brokerUrl;
      const verify = { MESH_JWKS: `${url}/.well-known/jwks.json`, MESH_AUDIENCE: 'demo', MESH_SERVERS: brokerUrl };
      const billingEnv: Record<string, string> =
        { MESH_NKEY_SEED: new TextDecoder().decode(billingKey.getSeed()) };
      [orders, billing] = await Promise.all([
        startIdentityService('orders', { ...verify, MESH_USER: 'orders', MESH_PASS: ORDERS_PASSWORD }),
        startIdentityService('billing', { ...verify, ...billingEnv }),
      ]);
      started.push(orders, billing);
      attacker = await mustConnect(brokerUrl, { user: 'orders', pass: ORDERS_PASSWORD, name: 'attacker with the orders login', inboxPrefix: identityInboxPrefix('orders') });
      userJwt = await signToken({ sub: 'u1', role: 'user' });
      adminJwt = await signToken({ sub: 'a1', role: 'admin' });
    }, 120_000);

    afterAll(async () => {
      await attacker?.close().catch(() => undefined);
      for (const item of started.reverse()) await item.stop().catch(() => undefined);
    });

    const call = (path: string, jwt?: string, params?: unknown) =>
      post(`${url}/v1/api/demo/functions/${path}`, params === undefined ? {} : { params }, jwt ? { Authorization: `Bearer ${jwt}` } : {});

    it('serves the public keys at /.well-known/jwks.json', async () => {
      const res = await fetch(`${url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { keys: Record<string, unknown>[] };
      expect(body.keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String) })]);
      expect(body.keys[0]).not.toHaveProperty('d');
    });

    it('signs each call: the service sees the claims of the verified Mesh-Token', async () => {
      const res = await call('orders/whoami', userJwt);
      expect(res.status).toBe(200);
      const { auth, token } = res.body.result;
      expect(auth).toMatchObject({ sub: 'u1', role: 'user' });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', typ: 'mesh+jwt' });
      const claims = decodeJwt(token);
      expect(claims).toMatchObject({ iss: 'nest-mesh', aud: 'demo', svc: 'orders', fn: 'whoami', sub: 'u1' });
      expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(120);
    });

    it("does not let an identity subscribe to other callers' replies (only to _INBOX.<name>.>)", async () => {
      for (const subject of ['_INBOX.>', '_INBOX.*.*', '_INBOX.billing.>']) {
        const refused = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 5_000);
          attacker.subscribe(subject, {
            callback: (error) => {
              clearTimeout(timer);
              resolve(error !== null);
            },
          });
        });
        expect({ subject, refused }).toEqual({ subject, refused: true });
      }
      expect(attacker.isClosed()).toBe(false);
    });

    it('signs anonymous calls too', async () => {
      const res = await call('orders/whoami');
      expect(res.status).toBe(200);
      expect(res.body.result.auth).toBeNull();
      expect(decodeJwt(res.body.result.token).auth).toBeNull();
    });

    it('passes the Mesh-Token on to the calls a function makes (an nkey or password identity serves them)', async () => {
      const res = await call('orders/checkout', userJwt);
      expect(res.status).toBe(200);
      expect(res.body.result.charge).toMatchObject({ params: { amount: 5 }, auth: { sub: 'u1', role: 'user' }, token: 'orders.checkout' });
    });

    it('keeps the func rule working: its function is called with a Mesh-Token and the caller\'s claims', async () => {
      expect((await call('orders/guarded', adminJwt)).status).toBe(200);
      expect((await call('orders/guarded', userJwt)).status).toBe(403);
    });

    it('refuses anonymous clients and wrong passwords on the broker', async () => {
      expect(await tryConnect(brokerUrl, {})).toMatch(/Authorization Violation/i);
      expect(await tryConnect(brokerUrl, { user: 'orders', pass: 'wrong' })).toMatch(/Authorization Violation/i);
    });

    async function directCall(headers: Record<string, string>): Promise<{ status?: string; code?: string; body: string }> {
      const h = natsHeaders();
      for (const [k, v] of Object.entries(headers)) h.set(k, v);
      const reply = await attacker.request('mesh.billing.charge', new TextEncoder().encode('{"amount":1000}'), { timeout: 10_000, headers: h });
      return { status: reply.headers?.get('Nats-Service-Error-Code'), code: reply.headers?.get('Mesh-Error-Code'), body: new TextDecoder().decode(reply.data) };
    }

    it('answers 401 to a direct call with a forged Mesh-Auth and no Mesh-Token, before the handler runs', async () => {
      const before = (await call('billing/charges')).body.result;
      expect(await directCall({ 'Mesh-Auth': '{"role":"admin"}' })).toMatchObject({ status: '401', code: 'UNAUTHENTICATED', body: '' });
      expect((await call('billing/charges')).body.result).toBe(before);
    });

    it('answers 401 to a direct call with a Mesh-Token signed by another key', async () => {
      const forged = await new SignJWT({ svc: 'billing', fn: 'charge', auth: { role: 'admin' } })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'mesh+jwt' })
        .setIssuer('nest-mesh')
        .setAudience('demo')
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(generateKeyPairSync('ed25519').privateKey);
      expect(await directCall({ 'Mesh-Token': forged, 'Mesh-Auth': '{"role":"admin"}' })).toMatchObject({ status: '401', code: 'UNAUTHENTICATED' });
    });

    it('takes auth from a genuine Mesh-Token, never from a Mesh-Auth that disagrees', async () => {
      const genuine = (await call('orders/whoami', userJwt)).body.result.token as string;
      const reply = await directCall({ 'Mesh-Token': genuine, 'Mesh-Auth': '{"sub":"u1","role":"admin"}' });
      expect(reply.status).toBeUndefined();
      expect(JSON.parse(reply.body).auth).toEqual(expect.objectContaining({ sub: 'u1', role: 'user' }));
    });

    it('lets an identity stream to another: the whole stream to its stream inbox, the credits back to the stream\'s control subject', async () => {
      const res = await call('orders/history', userJwt, { items: 40 });
      expect(res.status).toBe(200);
      expect(res.body.result).toEqual(Array.from({ length: 40 }, (_, i) => ({ entry: i + 1 })));
    });

    it('lets a caller identity cancel a stream of another: the service stops within a second', async () => {
      const before = (await call('billing/historiesReleased')).body.result as number;
      const res = await call('orders/history', userJwt, { items: 100_000, take: 3 });
      expect(res.body.result).toEqual([{ entry: 1 }, { entry: 2 }, { entry: 3 }]);
      const left = Date.now();
      let released = before;
      while (released === before && Date.now() - left < 3000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        released = (await call('billing/historiesReleased')).body.result as number;
      }
      expect(released).toBe(before + 1);
      expect(Date.now() - left).toBeLessThan(1000);
    });

    it('does not let a service call a function its calls do not name', async () => {
      const res = await call('orders/sneaky', adminJwt);
      expect(res).toMatchObject({ status: 504, body: { code: 'TIMEOUT' } });
    });

    it('logs the refusals with the subject, and never a password, seed or token', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(billing.output).toMatch(/call to mesh\.billing\.charge refused: no Mesh-Token/);
      const logs = [gateway.output, orders.output, billing.output].join('\n');
      for (const secret of [GATEWAY_PASSWORD, ORDERS_PASSWORD, BILLING_PASSWORD, new TextDecoder().decode(billingKey.getSeed()), userJwt]) {
        expect(logs).not.toContain(secret);
      }
      expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/);
    });
  });
}

