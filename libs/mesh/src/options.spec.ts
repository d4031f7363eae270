import { checkServers, connectionOptions, inboxPrefixOf } from './options';

describe('inboxPrefixOf', () => {
  it('is the inboxPrefix option when given', () => {
    expect(inboxPrefixOf({ inboxPrefix: '_INBOX.mine', user: 'orders' })).toBe('_INBOX.mine');
  });

  it("is a mesh identity's own inbox for a user name, given as user or in the server URL", () => {
    expect(inboxPrefixOf({ user: 'orders', pass: 'x' })).toBe('_INBOX.orders');
    expect(inboxPrefixOf({ servers: 'nats://orders:secret@127.0.0.1:4333' })).toBe('_INBOX.orders');
    expect(inboxPrefixOf({ servers: ['orders:secret@127.0.0.1:4333', 'nats://other@h:1'] })).toBe('_INBOX.orders');
  });

  it("is nats.js's default for no login, a token, or a user name that is not a mesh name", () => {
    expect(inboxPrefixOf({})).toBeUndefined();
    expect(inboxPrefixOf({ servers: 'nats://127.0.0.1:4333', token: 't' })).toBeUndefined();
    expect(inboxPrefixOf({ user: 'ops.team' })).toBeUndefined();
    expect(inboxPrefixOf({ servers: 'not a url@' })).toBeUndefined();
  });

  it('is what connectionOptions hands to nats.js', () => {
    expect(connectionOptions({ user: 'orders' }, 'x').inboxPrefix).toBe('_INBOX.orders');
    expect(connectionOptions({}, 'x')).not.toHaveProperty('inboxPrefix');
  });
});

describe('checkServers', () => {
  it('takes nats://, tls:// and host:port entries', () => {
    expect(() => checkServers(['nats://127.0.0.1:4222', 'TLS://a:1', 'b:4222', 'user:pw@c:4222'])).not.toThrow();
    expect(() => checkServers(undefined)).not.toThrow();
  });

  it('refuses another scheme (an http:// URL is the gateway, not the broker), hiding a password', () => {
    expect(() => checkServers('http://127.0.0.1:4122')).toThrow(/^servers: "http:\/\/127\.0\.0\.1:4122" is not a NATS URL: give the broker's nats:\/\/host:port/);
    expect(() => checkServers(['nats://ok:1', 'ws://u:secret@h:8080'])).toThrow('servers: "ws://u:***@h:8080/" is not a NATS URL');
    expect(() => connectionOptions({ servers: 'https://gateway.example.com' }, 'x')).toThrow('servers: "https://gateway.example.com" is not a NATS URL');
  });
});
