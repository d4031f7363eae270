import { isValidLiteralSubject, isValidSubject, subjectMatches } from './subject';
import { Sublist } from './sublist';

interface Sub {
  subject: string;
  queue?: string;
  name: string;
}

const sub = (subject: string, name = subject, queue?: string): Sub => ({ subject, queue, name });
const names = (subs: readonly Sub[]) => subs.map((s) => s.name).sort();

describe('subject rules', () => {
  it.each(['a', 'a.b', '*', '>', 'a.*', 'a.>', '*.b.>', 'a*b', 'a.b*', 'a>b', 'é.ß', '$SRV.PING', '_INBOX.x.*'])(
    'valid for SUB: %s',
    (s) => expect(isValidSubject(s)).toBe(true),
  );
  it.each(['', '.', 'a.', '.a', 'a..b', '>.a', 'a.>.b', '>.>'])('invalid for SUB: %j', (s) =>
    expect(isValidSubject(s)).toBe(false),
  );
  it('literal subjects have no wildcard token', () => {
    expect(isValidLiteralSubject('a.b*')).toBe(true);
    expect(isValidLiteralSubject('a.*')).toBe(false);
    expect(isValidLiteralSubject('>')).toBe(false);
    expect(isValidLiteralSubject('a..b')).toBe(false);
  });
  it('subjectMatches', () => {
    expect(subjectMatches('a.*', 'a.b')).toBe(true);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('>', 'a')).toBe(true);
  });
});

describe('Sublist', () => {
  it('matches literals, * and >', () => {
    const sl = new Sublist<Sub>();
    for (const s of ['foo', 'foo.bar', 'foo.*', 'foo.>', '*.bar', '>', '*', 'foo.*.baz', 'a*b']) sl.insert(sub(s));
    expect(names(sl.match('foo').psubs)).toEqual(['*', '>', 'foo']);
    expect(names(sl.match('foo.bar').psubs)).toEqual(['*.bar', '>', 'foo.*', 'foo.>', 'foo.bar']);
    expect(names(sl.match('foo.x.baz').psubs)).toEqual(['>', 'foo.*.baz', 'foo.>']);
    expect(names(sl.match('bar.baz').psubs)).toEqual(['>']);
    expect(names(sl.match('a*b').psubs)).toEqual(['*', '>', 'a*b']);
    expect(names(sl.match('axb').psubs)).toEqual(['*', '>']);
    expect(sl.match('foo..bar').psubs).toEqual([]);
    expect(sl.match('foo.').psubs).toEqual([]);
    expect(sl.stats().subscriptions).toBe(9);
  });

  it('does not match > against nothing', () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub('foo.>'));
    expect(sl.match('foo').psubs).toEqual([]);
  });

  it('invalidates cached results on insert and remove', () => {
    const sl = new Sublist<Sub>();
    const a = sub('foo.bar', 'a');
    sl.insert(a);
    expect(names(sl.match('foo.bar').psubs)).toEqual(['a']);
    expect(names(sl.match('foo').psubs)).toEqual([]);
    expect(sl.stats().cacheSize).toBe(2);
    const w = sub('foo.*', 'w');
    sl.insert(w); // drops the cached foo.bar, which foo.* matches
    expect(sl.stats().cacheSize).toBe(1);
    expect(names(sl.match('foo.bar').psubs)).toEqual(['a', 'w']);
    expect(names(sl.match('foo.baz').psubs)).toEqual(['w']);
    const other = sub('zzz', 'z');
    sl.insert(other); // literal: only its own entry goes
    expect(sl.stats().cacheSize).toBe(2);
    expect(sl.remove(w)).toBe(true);
    expect(names(sl.match('foo.bar').psubs)).toEqual(['a']);
    expect(names(sl.match('foo.baz').psubs)).toEqual([]);
    expect(sl.remove(a)).toBe(true);
    expect(sl.remove(a)).toBe(false);
    expect(sl.match('foo.bar').psubs).toEqual([]);
    expect(sl.stats().subscriptions).toBe(1);
  });

  it('counts subscriptions, matches, cache hits and cached subjects in stats()', () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub('a.b'));
    sl.insert(sub('a.*', 'w', 'q'));
    expect(sl.stats()).toEqual({ subscriptions: 2, matches: 0, cacheHits: 0, cacheSize: 0 });
    sl.match('a.b');
    sl.match('a.b');
    sl.match('a.c');
    expect(sl.stats()).toEqual({ subscriptions: 2, matches: 3, cacheHits: 1, cacheSize: 1 });
  });

  it('bounds the cache', () => {
    const sl = new Sublist<Sub>(8);
    for (let i = 0; i < 100; i++) sl.insert(sub(`s.${i}`));
    for (let i = 0; i < 100; i++) sl.match(`s.${i}`);
    expect(sl.stats().cacheSize).toBeLessThanOrEqual(8);
  });

  it('does not cache a subject with a token it holds only as a wildcard (reply inboxes)', () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub('_INBOX.abc.*', 'mux'));
    sl.insert(sub('mesh.>', 'all'));
    sl.insert(sub('mesh.users.create', 'create'));
    for (let i = 0; i < 100; i++) expect(names(sl.match(`_INBOX.abc.${i}`).psubs)).toEqual(['mux']);
    expect(names(sl.match('mesh.users.delete').psubs)).toEqual(['all']);
    expect(names(sl.match('nobody.here').psubs)).toEqual([]);
    expect(sl.stats().cacheSize).toBe(0);
    expect(names(sl.match('mesh.users.create').psubs).sort()).toEqual(['all', 'create']);
    expect(sl.stats().cacheSize).toBe(1);
  });

  it('groups queue subscribers by queue name and keeps plain ones apart', () => {
    const sl = new Sublist<Sub>();
    sl.insert(sub('job', 'q1', 'workers'));
    sl.insert(sub('job', 'q2', 'workers'));
    sl.insert(sub('*', 'q3', 'workers'));
    sl.insert(sub('job', 'o1', 'others'));
    sl.insert(sub('job', 'plain'));
    const r = sl.match('job');
    expect(names(r.psubs)).toEqual(['plain']);
    expect(r.qsubs.map((g) => names(g)).sort()).toEqual([['o1'], ['q1', 'q2', 'q3']]);
  });

  it('removes queue subscribers and prunes empty nodes', () => {
    const sl = new Sublist<Sub>();
    const q1 = sub('a.b.c', 'q1', 'g');
    const q2 = sub('a.b.c', 'q2', 'g');
    sl.insert(q1);
    sl.insert(q2);
    expect(sl.remove(q1)).toBe(true);
    expect(sl.match('a.b.c').qsubs.map(names)).toEqual([['q2']]);
    expect(sl.remove(q2)).toBe(true);
    expect(sl.match('a.b.c').qsubs).toEqual([]);
    expect(sl.stats().subscriptions).toBe(0);
    // An unknown subscription is not removed.
    expect(sl.remove(sub('a.b.c', 'x', 'g'))).toBe(false);
    expect(sl.remove(sub('nope'))).toBe(false);
  });

  it('keeps the same subscription object once', () => {
    const sl = new Sublist<Sub>();
    const s = sub('x');
    sl.insert(s);
    sl.insert(s);
    expect(sl.match('x').psubs).toHaveLength(1);
  });
});
