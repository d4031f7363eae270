import { headers as natsHeaders, MsgHdrs } from 'nats';
import { MeshHeaders } from '@nest-mesh/wire';
import { MeshClient } from '../calling/mesh-client';
import { MeshConnection } from '../calling/mesh-connection';
import { currentCall } from '../service/call-storage';
import { MeshContext } from '../service/mesh-context';
import { MeshTokenSigner } from './mesh-token';

/** MeshClient with a stand-in connection; resolves to the headers each call would have sent. */
function clientWith(signer?: MeshTokenSigner) {
  const connection = { current: {}, onLost: () => undefined } as unknown as MeshConnection;
  const client = new MeshClient(connection, { signer });
  const sent: MsgHdrs[] = [];
  (client as unknown as { inbox: { request: (...args: unknown[]) => Promise<unknown> } }).inbox.request = (_nc, _subject, _payload, headers) => {
    sent.push(headers as MsgHdrs);
    return Promise.resolve({ data: new Uint8Array(0) });
  };
  return { client, sent };
}

function served(token: string | undefined, meshAuth?: string): MeshContext {
  const headers = natsHeaders();
  if (token !== undefined) headers.set(MeshHeaders.token, token);
  if (meshAuth !== undefined) headers.set(MeshHeaders.auth, meshAuth);
  return new MeshContext('mesh.a.b', headers, 'a', 'b');
}

describe('MeshClient and the Mesh-Token', () => {
  it('asks the signer for a token when it calls on its own (the gateway), with the caller\'s claims', async () => {
    const signer = { tokenFor: jest.fn(() => 'signed-token') };
    const { client, sent } = clientWith(signer);
    const auth = Object.freeze({ sub: 'u1' });
    await client.call('billing', 'charge', null, { auth });
    expect(signer.tokenFor).toHaveBeenCalledWith('billing', 'charge', auth);
    expect(sent[0].get(MeshHeaders.token)).toBe('signed-token');
  });

  it('waits for a signature that is still under way', async () => {
    const { client, sent } = clientWith({ tokenFor: () => Promise.resolve('later') });
    await client.call('billing', 'charge');
    expect(sent[0].get(MeshHeaders.token)).toBe('later');
  });

  it('passes on the token of the call being served, instead of signing', async () => {
    const signer = { tokenFor: jest.fn(() => 'signed-token') };
    const { client, sent } = clientWith(signer);
    await currentCall.run(served('from-the-gateway'), () => client.call('mail', 'send'));
    expect(sent[0].get(MeshHeaders.token)).toBe('from-the-gateway');
    expect(signer.tokenFor).not.toHaveBeenCalled();
  });

  it('sends no token when there is neither a served token nor a signer', async () => {
    const { client, sent } = clientWith();
    await client.call('mail', 'send');
    await currentCall.run(served(undefined), () => client.call('mail', 'send'));
    expect(sent.map((h) => h.has(MeshHeaders.token))).toEqual([false, false]);
  });

  it('passes on the verified claims as Mesh-Auth, not the unsigned header it received', async () => {
    const { client, sent } = clientWith();
    const ctx = served('verified-token', '{"role":"admin"}');
    ctx.trust({ auth: Object.freeze({ role: 'user' }), authJson: '{"role":"user"}', until: Date.now() + 60_000 });
    await currentCall.run(ctx, () => client.call('mail', 'send'));
    expect(sent[0].get(MeshHeaders.auth)).toBe('{"role":"user"}');
    expect(sent[0].get(MeshHeaders.token)).toBe('verified-token');
  });
});
