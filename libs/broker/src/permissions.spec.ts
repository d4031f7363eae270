import { Authenticator } from './auth';
import { BrokerConfigError } from './errors';
import { ReplyPermits, UserPermissions } from './permissions';

describe('UserPermissions', () => {
  it('checks publish allow then deny, with wildcards, and caches the answers', () => {
    const p = new UserPermissions({ publish: { allow: ['mesh.billing.*', 'mail.>'], deny: 'mesh.billing.refund' } }, 'u');
    expect(p.canPublish('mesh.billing.charge')).toBe(true);
    expect(p.canPublish('mesh.billing.refund')).toBe(false);
    expect(p.canPublish('mail.a.b')).toBe(true);
    expect(p.canPublish('mesh.orders.create')).toBe(false);
    expect(p.canPublish('mesh..x')).toBe(false);
    expect(p.stats()).toMatchObject({ publishCacheSize: 5 });
  });

  it('keeps its publish cache bounded', () => {
    const p = new UserPermissions({ publish: '>' }, 'u');
    for (let i = 0; i < 1000; i++) p.canPublish(`s.${i}`);
    expect(p.stats().publishCacheSize).toBeLessThanOrEqual(128);
  });

  it('does not cache a refusal a reply permission may turn around', () => {
    const p = new UserPermissions({ allow_responses: true }, 'u');
    expect(p.canPublish('_INBOX.x')).toBe(false);
    expect(p.stats().publishCacheSize).toBe(0);
  });

  it('allow_responses turns the blanket publish allow off; empty lists otherwise restrict nothing', () => {
    expect(new UserPermissions({ allow_responses: true }, 'u').canPublish('a')).toBe(false);
    expect(new UserPermissions({ publish: [], subscribe: { allow: [] } }, 'u').restricts).toBe(false);
    expect(new UserPermissions({}, 'u').restricts).toBe(false);
  });

  it('judges deliveries against the subscribe deny list, by subject and queue group', () => {
    const p = new UserPermissions({ subscribe: { allow: '>', deny: ['secret.>', 'jobs.* dev'] } }, 'u');
    expect(p.filtersDeliveries).toBe(true);
    expect(p.deliveryDenied('secret.a', undefined)).toBe(true);
    expect(p.deliveryDenied('public.a', undefined)).toBe(false);
    expect(p.deliveryDenied('jobs.x', 'dev')).toBe(true);
    expect(p.deliveryDenied('jobs.x', 'prod')).toBe(false);
    expect(p.deliveryDenied('jobs.x', undefined)).toBe(false);
  });

  it.each([
    [{ publish: ['a b'] }, 'publish subject "a b" is not a valid subject'],
    [{ subscribe: ['a..b'] }, 'subscribe subject "a..b" is not a valid subject'],
    [{ subscribe: ['a b c'] }, 'subscribe subject "a b c" is not a valid subject'],
    [{ subscribe: { allow: ['a'], only: ['b'] } }, 'subscribe.only is not allow or deny'],
    [{ publish: 5 }, 'publish must be a subject, a list or {allow, deny}'],
    [{ allow_responses: 'yes' }, 'allow_responses must be true or {max, expires}'],
    [{ allow_responses: { max: 1.5 } }, 'allow_responses.max must be an integer'],
  ])('refuses %j', (perms, message) => {
    expect(() => new UserPermissions(perms as never, 'user "u"')).toThrow(new BrokerConfigError(`user "u": ${message}`));
  });
});

describe('ReplyPermits', () => {
  it('allows max replies per received subject, within expires', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const r = new ReplyPermits({ max: 2, expires: 1000 });
      expect(r.use('inbox.1')).toBe(false);
      r.received('inbox.1');
      expect(r.use('inbox.1')).toBe(true);
      expect(r.use('inbox.1')).toBe(true);
      expect(r.use('inbox.1')).toBe(false);
      r.received('inbox.2');
      jest.setSystemTime(1_000_000 + 1001);
      expect(r.use('inbox.2')).toBe(false);
      expect(r.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('forgets expired subjects a second after it last looked, however few it holds', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const r = new ReplyPermits({ max: -1, expires: 500 });
      for (let i = 0; i < 10; i++) r.received(`old.${i}`);
      jest.setSystemTime(1_000_000 + 1001);
      r.received('new');
      expect(r.size).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('looks for expired subjects once per 4096 new ones, not on every message, when many are alive (a long expires)', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const r = new ReplyPermits({ max: -1, expires: 3_600_000 });
      const prune = jest.spyOn(r as unknown as { pruneStale(now: number): void }, 'pruneStale');
      for (let i = 0; i < 20_000; i++) r.received(`live.${i}`);
      expect(r.size).toBe(20_000);
      expect(prune.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      jest.useRealTimers();
    }
  });

  it('forgets expired subjects once it holds many', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const r = new ReplyPermits({ max: 1, expires: 10 });
      for (let i = 0; i < 4096; i++) r.received(`old.${i}`);
      jest.setSystemTime(1_000_000 + 100);
      r.received('new');
      expect(r.size).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('Authenticator', () => {
  it.each([
    [[{ user: 'a' }], 'embedded broker: users[0]: user "a" needs a password'],
    [[{ password: 'p' }], 'embedded broker: users[0] needs a user (with a password) or an nkey'],
    [[{ nkey: 'UABC' }], 'embedded broker: users[0]: nkey is not a valid public user nkey (U...)'],
    [[{ user: 'a', password: 'p' }, { user: 'a', password: 'q' }], 'embedded broker: users[1]: duplicate user "a"'],
  ])('refuses users %j', (users, message) => {
    expect(() => new Authenticator(undefined, users)).toThrow(new BrokerConfigError(message));
  });

  it('treats permissions that restrict nothing as none (the fast path)', () => {
    const auth = new Authenticator(undefined, [{ user: 'a', password: 'p', permissions: { publish: [] } }]);
    const connect = { verbose: false, pedantic: false, echo: true, headers: false, noResponders: false, protocol: 1 };
    expect(auth.authenticate({ ...connect, user: 'a', pass: 'p' }, undefined)).toEqual({ name: 'a', permissions: undefined });
    expect(auth.authenticate({ ...connect, user: 'a', pass: 'x' }, undefined)).toBeUndefined();
  });
});
