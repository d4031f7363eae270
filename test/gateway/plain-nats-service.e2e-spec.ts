import { connect, headers, NatsConnection, StringCodec } from 'nats';
import { describeWithNatsServer } from '../support/nats-server';
import { BROKERS, Mesh, startMesh } from '../support/mesh';

/**
 * A function served by a plain NATS client (no Nest, no nest-mesh code), called through the
 * gateway: the wire of docs/protocol.md is all a service in any language needs.
 */
for (const kind of BROKERS) {
  const describeFor = kind === 'nats-server' ? describeWithNatsServer : describe;

  describeFor(`a service on a plain NATS client (${kind})`, () => {
    let mesh: Mesh;
    let nc: NatsConnection;
    const seen: { payload: string; headers: Record<string, string> }[] = [];

    beforeAll(async () => {
      mesh = await startMesh(kind, { rules: { plain: { default: { rule: 'allow' } } }, services: 0 });
      nc = await connect({ servers: mesh.brokerUrl, name: 'plain service' });
      const codec = StringCodec();
      // What any language would write: subscribe to mesh.<service>.<func> in queue group "q".
      nc.subscribe('mesh.plain.upper', {
        queue: 'q',
        callback: (_, msg) => {
          const fields: Record<string, string> = {};
          for (const [key, values] of msg.headers ?? []) fields[key] = values[0];
          seen.push({ payload: codec.decode(msg.data), headers: fields });
          const params = JSON.parse(codec.decode(msg.data));
          if (typeof params?.text !== 'string') {
            const failure = headers();
            failure.set('Nats-Service-Error', 'text must be a string');
            failure.set('Nats-Service-Error-Code', '400');
            failure.set('Mesh-Error-Code', 'NOT_TEXT');
            msg.respond(new Uint8Array(0), { headers: failure });
            return;
          }
          msg.respond(codec.encode(JSON.stringify({ upper: params.text.toUpperCase() })));
        },
      });
      nc.subscribe('mesh.plain.silent', { queue: 'q', callback: (_, msg) => msg.respond(new Uint8Array(0)) });
      await nc.flush();
    });
    afterAll(async () => {
      await nc?.close();
      await mesh?.stop();
    });

    it('answers through the gateway with the JSON it replied', async () => {
      const res = await mesh.call('/v1/api/demo/functions/plain/upper', { params: { text: 'mesh' } }, { 'X-Request-Id': 'plain-1' });
      expect(res).toMatchObject({ status: 200, body: { result: { upper: 'MESH' } } });
      const request = seen.at(-1)!;
      expect(JSON.parse(request.payload)).toEqual({ text: 'mesh' });
      expect(request.headers['Mesh-Request-Id']).toBe('plain-1');
      expect(Number(request.headers['Mesh-Deadline'])).toBeGreaterThan(Date.now());
      expect(request.headers['Mesh-Auth']).toBeUndefined();
    });

    it('sends null params as the JSON null', async () => {
      await mesh.call('/v1/api/demo/functions/plain/upper', {});
      expect(seen.at(-1)!.payload).toBe('null');
    });

    it('maps the ADR-32 error headers to the HTTP status and code', async () => {
      const res = await mesh.call('/v1/api/demo/functions/plain/upper', { params: { text: 5 } });
      expect(res).toMatchObject({ status: 400, body: { error: 'text must be a string', code: 'NOT_TEXT' } });
    });

    it('reads an empty reply as a null result', async () => {
      expect((await mesh.call('/v1/api/demo/functions/plain/silent', {})).body).toEqual({ result: null });
    });
  });
}
