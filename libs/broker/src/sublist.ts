/**
 * A subject trie with a result cache, in the manner of nats-server `server/sublist.go`.
 * Each level maps literal tokens to nodes and has its own `*` and `>` nodes; each node holds the plain
 * subscriptions and the queue groups that end there. match() results are cached per literal subject;
 * an insert or remove drops only the cached subjects that the changed subscription matches.
 * Only subjects made of tokens the trie holds literally are cached: one with a token it has never seen
 * matches through wildcards only, and is most often a reply subject (`_INBOX.<id>.<n>`) published once,
 * which would only churn the cache.
 */
import { hasWildcard, subjectMatches } from './subject';

export interface SubjectInterest {
  readonly subject: string;
  readonly queue?: string;
}

/** Every plain subscriber, and the members of each queue group (one of which gets the message). */
export interface SublistResult<T> {
  readonly psubs: readonly T[];
  readonly qsubs: readonly (readonly T[])[];
}

class Node<T> {
  next?: Level<T>;
  readonly psubs = new Set<T>();
  readonly qsubs = new Map<string, Set<T>>();

  isEmpty(): boolean {
    return this.psubs.size === 0 && this.qsubs.size === 0 && (this.next === undefined || this.next.isEmpty());
  }
}

class Level<T> {
  readonly nodes = new Map<string, Node<T>>();
  pwc?: Node<T>;
  fwc?: Node<T>;

  isEmpty(): boolean {
    return this.nodes.size === 0 && this.pwc === undefined && this.fwc === undefined;
  }
}

const EMPTY: SublistResult<never> = Object.freeze({ psubs: [], qsubs: [] });

/** Counters of a Sublist, like nats-server's SublistStats. */
export interface SublistStats {
  /** Subscriptions held. */
  subscriptions: number;
  /** match() calls so far. */
  matches: number;
  /** match() calls answered from the cache. */
  cacheHits: number;
  /** Subjects whose results are cached now. */
  cacheSize: number;
}

export class Sublist<T extends SubjectInterest> {
  private readonly root = new Level<T>();
  private readonly cache = new Map<string, SublistResult<T>>();
  private subscriptions = 0;
  private matches = 0;
  private cacheHits = 0;

  constructor(private readonly maxCacheEntries = 1024) {}

  stats(): SublistStats {
    return { subscriptions: this.subscriptions, matches: this.matches, cacheHits: this.cacheHits, cacheSize: this.cache.size };
  }

  insert(sub: T): void {
    const tokens = sub.subject.split('.');
    let level = this.root;
    let node: Node<T> | undefined;
    for (const token of tokens) {
      if (token === '*') node = level.pwc ??= new Node<T>();
      else if (token === '>') node = level.fwc ??= new Node<T>();
      else {
        node = level.nodes.get(token);
        if (!node) level.nodes.set(token, (node = new Node<T>()));
      }
      level = node.next ??= new Level<T>();
    }
    if (!node) return;
    if (sub.queue === undefined) node.psubs.add(sub);
    else {
      let group = node.qsubs.get(sub.queue);
      if (!group) node.qsubs.set(sub.queue, (group = new Set<T>()));
      group.add(sub);
    }
    this.subscriptions++;
    this.invalidate(sub.subject);
  }

  /** Removes the subscription; returns false when it was not there. */
  remove(sub: T): boolean {
    const tokens = sub.subject.split('.');
    const path: { level: Level<T>; token: string; node: Node<T> }[] = [];
    let level: Level<T> | undefined = this.root;
    for (const token of tokens) {
      if (!level) return false;
      const node: Node<T> | undefined = token === '*' ? level.pwc : token === '>' ? level.fwc : level.nodes.get(token);
      if (!node) return false;
      path.push({ level, token, node });
      level = node.next;
    }
    const last = path[path.length - 1]?.node;
    if (!last) return false;
    let removed: boolean;
    if (sub.queue === undefined) removed = last.psubs.delete(sub);
    else {
      const group = last.qsubs.get(sub.queue);
      removed = group?.delete(sub) ?? false;
      if (group && group.size === 0) last.qsubs.delete(sub.queue);
    }
    if (!removed) return false;
    this.subscriptions--;
    // Prune empty nodes from the leaf up.
    for (let i = path.length - 1; i >= 0; i--) {
      const { level: lvl, token, node } = path[i];
      if (node.next && node.next.isEmpty()) node.next = undefined;
      if (!node.isEmpty()) break;
      if (token === '*') lvl.pwc = undefined;
      else if (token === '>') lvl.fwc = undefined;
      else lvl.nodes.delete(token);
    }
    this.invalidate(sub.subject);
    return true;
  }

  /** Subscriptions interested in a literal subject. The result is shared: do not mutate it. */
  match(subject: string): SublistResult<T> {
    this.matches++;
    const cached = this.cache.get(subject);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    const tokens = subject.split('.');
    // Like sublist.go, a subject with an empty token matches nothing.
    for (let i = 0; i < tokens.length; i++) if (tokens[i].length === 0) return EMPTY;
    const found = new Matches<T>();
    matchLevel(this.root, tokens, 0, found, true);
    const result: SublistResult<T> =
      found.psubs.length === 0 && found.groups === undefined ? EMPTY : { psubs: found.psubs, qsubs: found.groups ? [...found.groups.values()] : [] };
    if (found.literalPath) {
      if (this.cache.size >= this.maxCacheEntries) this.sweep();
      this.cache.set(subject, result);
    }
    return result;
  }

  private invalidate(pattern: string): void {
    if (this.cache.size === 0) return;
    if (!hasWildcard(pattern)) {
      this.cache.delete(pattern);
      return;
    }
    for (const key of this.cache.keys()) if (subjectMatches(pattern, key)) this.cache.delete(key);
  }

  /** Drops the oldest quarter of the cache (sublist.go prunes a sweep's worth at random). */
  private sweep(): void {
    let drop = Math.max(1, this.maxCacheEntries >> 2);
    for (const key of this.cache.keys()) {
      this.cache.delete(key);
      if (--drop === 0) break;
    }
  }
}

/** What one walk of the trie gathers for a subject. */
class Matches<T> {
  readonly psubs: T[] = [];
  groups?: Map<string, T[]>;
  /** True while every token of the subject so far has a literal node on its path. */
  literalPath = true;
}

function matchLevel<T>(level: Level<T>, tokens: string[], index: number, found: Matches<T>, literal: boolean): void {
  if (level.fwc) collect(level.fwc, found);
  if (level.pwc) descend(level.pwc, tokens, index, found, false);
  const node = level.nodes.get(tokens[index]);
  if (node) descend(node, tokens, index, found, literal);
  else if (literal) found.literalPath = false;
}

function descend<T>(node: Node<T>, tokens: string[], index: number, found: Matches<T>, literal: boolean): void {
  if (index === tokens.length - 1) collect(node, found);
  else if (node.next) matchLevel(node.next, tokens, index + 1, found, literal);
  else if (literal) found.literalPath = false;
}

function collect<T>(node: Node<T>, found: Matches<T>): void {
  for (const sub of node.psubs) found.psubs.push(sub);
  if (node.qsubs.size === 0) return;
  const groups = (found.groups ??= new Map<string, T[]>());
  for (const [queue, members] of node.qsubs) {
    let group = groups.get(queue);
    if (!group) groups.set(queue, (group = []));
    for (const sub of members) group.push(sub);
  }
}
