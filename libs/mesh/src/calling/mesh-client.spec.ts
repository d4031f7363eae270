import { headers as natsHeaders, Msg, ServiceErrorCodeHeader, ServiceErrorHeader } from 'nats';
import { decodeReply, replyJson } from './mesh-client';
import { MeshHeaders } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';

function reply(text: string, headers?: Record<string, string>): Msg {
  const hdrs = headers ? natsHeaders() : undefined;
  for (const [name, value] of Object.entries(headers ?? {})) hdrs!.set(name, value);
  return { data: Buffer.from(text), headers: hdrs } as unknown as Msg;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('replyJson', () => {
  it('gives the JSON text as it was sent, and null for an empty reply', () => {
    expect(replyJson(reply('{"a": [1, "é"]}'), 's', 'f')).toBe('{"a": [1, "é"]}');
    expect(replyJson(reply(''), 's', 'f')).toBe('null');
    expect(decodeReply(reply(''), 's', 'f')).toBeNull();
  });

  it('fails with 500 INTERNAL when the reply is not JSON, like decodeReply', () => {
    for (const read of [replyJson, decodeReply]) {
      const error = thrown(() => read(reply('{"a":'), 'users', 'create'));
      expect(error).toBeInstanceOf(MeshError);
      expect(error).toMatchObject({ status: 500, code: 'INTERNAL', message: 'function users.create replied with invalid JSON' });
    }
  });

  it('throws the failure carried in the ADR-32 error headers', () => {
    const failed = reply('', { [ServiceErrorHeader]: 'no such user', [ServiceErrorCodeHeader]: '404', [MeshHeaders.errorCode]: 'NOT_FOUND' });
    expect(thrown(() => replyJson(failed, 'users', 'get'))).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'no such user' });
  });
});
