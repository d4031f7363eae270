import { natsServerAuthorization } from './authorization-block';

describe('natsServerAuthorization', () => {
  it("prints users and permissions in nats-server's syntax, one field per line, expires as a duration", () => {
    const text = natsServerAuthorization(
      [
        { user: 'orders', password: 'p"w', permissions: { publish: ['a.*'], subscribe: { allow: ['b.* q'], deny: 'b.x' }, allow_responses: { max: 2, expires: 1500 } } },
        { nkey: 'UABC', permissions: { allow_responses: true } },
        { user: 'plain', password: 'x' },
      ],
      { authTimeoutMs: 2500 },
    );
    expect(text).toBe(
      [
        'authorization {',
        '  users = [',
        '    {',
        '      user: "orders", password: "p\\"w"',
        '      permissions: {',
        '        publish: ["a.*"]',
        '        subscribe: { allow: ["b.* q"], deny: ["b.x"] }',
        '        allow_responses: { max: 2, expires: "1500ms" }',
        '      }',
        '    }',
        '    {',
        '      nkey: "UABC"',
        '      permissions: {',
        '        allow_responses: true',
        '      }',
        '    }',
        '    { user: "plain", password: "x" }',
        '  ]',
        '  timeout: 2.5',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints a token alone', () => {
    expect(natsServerAuthorization(undefined, { token: 't' })).toBe('authorization {\n  token: "t"\n}\n');
  });

  it('prints the password of a user named in passwordFromEnv as a variable nats-server reads from its environment', () => {
    expect(natsServerAuthorization([{ user: 'gw', password: 'unused' }], { passwordFromEnv: { gw: 'GW_PASS' } })).toContain('{ user: "gw", password: $GW_PASS }');
  });
});
