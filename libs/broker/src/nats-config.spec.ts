import { natsServerAuthorization } from './nats-config';

describe('natsServerAuthorization', () => {
  it("prints users and permissions in nats-server's syntax, expires as a duration", () => {
    const text = natsServerAuthorization(
      [
        { user: 'orders', password: 'p"w', permissions: { publish: ['a.*'], subscribe: { allow: ['b.* q'], deny: 'b.x' }, allow_responses: { max: 2, expires: 1500 } } },
        { nkey: 'UABC', permissions: { allow_responses: true } },
      ],
      { authTimeoutMs: 2500 },
    );
    expect(text).toBe(
      'authorization {\n' +
        '  users: [\n' +
        '    {"user":"orders","password":"p\\"w","permissions":{"publish":["a.*"],"subscribe":{"allow":["b.* q"],"deny":"b.x"},"allow_responses":{"max":2,"expires":"1500ms"}}},\n' +
        '    {"nkey":"UABC","permissions":{"allow_responses":true}}\n' +
        '  ]\n' +
        '  timeout: 2.5\n' +
        '}\n',
    );
  });

  it('prints a token alone', () => {
    expect(natsServerAuthorization(undefined, { token: 't' })).toBe('authorization {\n  token: "t"\n}\n');
  });
});
