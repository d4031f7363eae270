/**
 * Per-user publish/subscribe permissions with nats-server's syntax and semantics (server/client.go):
 * allow lists and deny lists of subjects with wildcards, deny wins, queue-qualified subscribe entries
 * ("<subject> <queue>"), and allow_responses. A user's lists are compiled once into sublists, shared by
 * all of that user's connections; publish results are cached per subject. See docs/security.md.
 */
import { BrokerConfigError } from './errors';
import { hasWildcard, isValidSubject, subjectMatches } from './subject';
import { Sublist, SublistResult } from './sublist';

/** A subject, a list of subjects, or `{allow, deny}` (deny wins). */
export type SubjectPermission = string | string[] | { allow?: string | string[]; deny?: string | string[] };

export interface BrokerPermissions {
  publish?: SubjectPermission;
  /** Entries may be "<subject> <queue>": only that queue group (a wildcard queue name matches as a subject). */
  subscribe?: SubjectPermission;
  /** true = {max: 1, expires: 120000}. max/expires 0 or absent: that default; negative: no limit. expires in ms. */
  allow_responses?: boolean | { max?: number; expires?: number };
}

/** nats-server's defaults for allow_responses (DEFAULT_ALLOW_RESPONSE_MAX_MSGS / _EXPIRATION). */
const RESPONSE_MAX_DEFAULT = 1;
const RESPONSE_EXPIRES_DEFAULT_MS = 2 * 60 * 1000;
/** nats-server's maxPermCacheSize / pruneSize / replyPermLimit / maxDenyPermCacheSize / replyPruneTime. */
const PUB_CACHE_MAX = 128;
const DENY_CACHE_MAX = 256;
const PRUNE = 32;
const REPLY_LIMIT = 4096;
const REPLY_PRUNE_MS = 1000;

interface Entry {
  readonly subject: string;
  readonly queue?: string;
}

export interface ResponsePermission {
  /** Replies allowed per received reply subject; <= 0 = no limit. */
  readonly max: number;
  /** How long a received reply subject may be answered, ms; <= 0 = no limit. */
  readonly expires: number;
}

/** One user's compiled permissions. Immutable apart from its caches. */
export class UserPermissions {
  private readonly pubAllow?: Sublist<Entry>;
  private readonly pubDeny?: Sublist<Entry>;
  private readonly subAllow?: Sublist<Entry>;
  private readonly subDeny?: Sublist<Entry>;
  readonly responses?: ResponsePermission;
  /** True when deliveries must be checked against the subscribe deny list (a wildcard SUB may cover a denied subject). */
  readonly filtersDeliveries: boolean;
  private readonly pubCache = new Map<string, boolean>();
  private readonly denyCache = new Map<string, boolean>();

  constructor(perms: BrokerPermissions, who: string) {
    const pub = split(perms.publish, who, 'publish', false);
    const sub = split(perms.subscribe, who, 'subscribe', true);
    this.responses = responsePermission(perms.allow_responses, who);
    // As nats-server: allow_responses turns the blanket publish allow off (an empty allow list then
    // allows only replies); otherwise an empty allow list is no list.
    if (pub.allow.length > 0 || this.responses) this.pubAllow = sublistOf(pub.allow);
    if (pub.deny.length > 0) this.pubDeny = sublistOf(pub.deny);
    if (sub.allow.length > 0) this.subAllow = sublistOf(sub.allow);
    if (sub.deny.length > 0) this.subDeny = sublistOf(sub.deny);
    this.filtersDeliveries = this.subDeny !== undefined;
  }

  /** False when nothing is restricted (then the connection is treated as having no permissions). */
  get restricts(): boolean {
    return this.pubAllow !== undefined || this.pubDeny !== undefined || this.subAllow !== undefined || this.subDeny !== undefined;
  }

  /** Sizes of the per-subject caches (publish answers, delivery denials). */
  stats(): { publishCacheSize: number; denyCacheSize: number } {
    return { publishCacheSize: this.pubCache.size, denyCacheSize: this.denyCache.size };
  }

  /** Whether publishing to the subject is allowed by the lists (reply permissions are the client's). */
  canPublish(subject: string): boolean {
    const cached = this.pubCache.get(subject);
    if (cached !== undefined) return cached;
    let allowed = true;
    if (this.pubAllow) allowed = this.pubAllow.match(subject).psubs.length > 0;
    if (allowed && this.pubDeny) allowed = this.pubDeny.match(subject).psubs.length === 0;
    // Like nats-server, a refusal that a reply permission may still turn around is not cached.
    if (allowed || !this.responses) {
      if (this.pubCache.size >= PUB_CACHE_MAX) prune(this.pubCache);
      this.pubCache.set(subject, allowed);
    }
    return allowed;
  }

  /** nats-server's canSubscribe: the allow list (queue entries name their groups), then the deny list. */
  canSubscribe(subject: string, queue: string | undefined): boolean {
    let allowed = true;
    if (this.subAllow) {
      const r = this.subAllow.match(subject);
      allowed = r.psubs.length > 0;
      if (queue !== undefined && r.qsubs.length > 0) allowed = queueMatches(queue, r);
    }
    if (allowed && this.subDeny) {
      const r = this.subDeny.match(subject);
      allowed = r.psubs.length === 0;
      if (allowed && queue !== undefined && r.qsubs.length > 0) allowed = !queueMatches(queue, r);
    }
    return allowed;
  }

  /** Whether a message on the subject must not reach a subscription (in the queue group) of this user. */
  deliveryDenied(subject: string, queue: string | undefined): boolean {
    const deny = this.subDeny!;
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    const cached = this.denyCache.get(key);
    if (cached !== undefined) return cached;
    const r = deny.match(subject);
    const denied = r.psubs.length > 0 || (queue !== undefined && r.qsubs.length > 0 && queueMatches(queue, r));
    if (this.denyCache.size >= DENY_CACHE_MAX) prune(this.denyCache);
    this.denyCache.set(key, denied);
    return denied;
  }
}

/** One received reply subject that may be answered. */
interface Reply {
  at: number;
  sent: number;
}

/**
 * The reply subjects one connection has received, for allow_responses (nats-server's c.replies).
 * Expired entries are pruned as nats-server 2.11 does: after every `REPLY_LIMIT` new entries, or
 * after a second, so that many live entries (a long `expires`, many requests not answered yet) never
 * cost a scan per message.
 */
export class ReplyPermits {
  private readonly replies = new Map<string, Reply>();
  private sincePrune = 0;
  private lastPrune = Date.now();

  constructor(private readonly rule: ResponsePermission) {}

  /** Called for every message delivered to the connection with a reply subject. */
  received(reply: string): void {
    const now = Date.now();
    const known = this.replies.get(reply);
    if (known !== undefined) {
      known.at = now;
      known.sent = 0;
      return;
    }
    this.replies.set(reply, { at: now, sent: 0 });
    if (++this.sincePrune > REPLY_LIMIT || now - this.lastPrune > REPLY_PRUNE_MS) this.pruneStale(now);
  }

  /** Uses one reply to the subject if it is permitted now; an entry that is used up or expired goes. */
  use(subject: string): boolean {
    const reply = this.replies.get(subject);
    if (reply === undefined) return false;
    const { max, expires } = this.rule;
    if (expires > 0 && Date.now() - reply.at > expires) {
      this.replies.delete(subject);
      return false;
    }
    reply.sent++;
    if (max > 0 && reply.sent >= max) this.replies.delete(subject);
    return true;
  }

  get size(): number {
    return this.replies.size;
  }

  private pruneStale(now: number): void {
    this.sincePrune = 0;
    this.lastPrune = now;
    const { expires } = this.rule;
    if (expires <= 0) return;
    for (const [subject, reply] of this.replies) if (now - reply.at > expires) this.replies.delete(subject);
  }
}

function queueMatches(queue: string, r: SublistResult<Entry>): boolean {
  for (const group of r.qsubs) {
    const name = group[0].queue!;
    // '*' and '>' are valid queue names too: the literal name first, then as a pattern.
    if (queue === name || (hasWildcard(name) && subjectMatches(name, queue))) return true;
  }
  return false;
}

function sublistOf(entries: Entry[]): Sublist<Entry> {
  const sl = new Sublist<Entry>(PUB_CACHE_MAX);
  for (const entry of entries) sl.insert(entry);
  return sl;
}

function split(perm: SubjectPermission | undefined, who: string, kind: string, queues: boolean): { allow: Entry[]; deny: Entry[] } {
  if (perm === undefined || perm === null) return { allow: [], deny: [] };
  if (typeof perm === 'string' || Array.isArray(perm)) return { allow: entries(perm, who, kind, queues), deny: [] };
  if (typeof perm !== 'object') throw new BrokerConfigError(`${who}: ${kind} must be a subject, a list or {allow, deny}`);
  for (const key of Object.keys(perm)) {
    if (key !== 'allow' && key !== 'deny') throw new BrokerConfigError(`${who}: ${kind}.${key} is not allow or deny`);
  }
  return { allow: entries(perm.allow, who, kind, queues), deny: entries(perm.deny, who, kind, queues) };
}

function entries(list: string | string[] | undefined, who: string, kind: string, queues: boolean): Entry[] {
  if (list === undefined) return [];
  const items = typeof list === 'string' ? [list] : list;
  if (!Array.isArray(items)) throw new BrokerConfigError(`${who}: ${kind} must be a subject or a list of subjects`);
  return items.map((item) => {
    if (typeof item !== 'string') throw new BrokerConfigError(`${who}: ${kind} has a non-string subject`);
    // A subject never holds blanks: "<subject> <queue>" is a queue-qualified entry (subscribe only).
    const parts = item.trim().split(/\s+/);
    if (parts.length === 1 && isValidSubject(parts[0])) return { subject: parts[0] };
    if (queues && parts.length === 2 && isValidSubject(parts[0])) return { subject: parts[0], queue: parts[1] };
    throw new BrokerConfigError(`${who}: ${kind} subject ${JSON.stringify(item)} is not a valid subject`);
  });
}

function responsePermission(value: BrokerPermissions['allow_responses'], who: string): ResponsePermission | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { max: RESPONSE_MAX_DEFAULT, expires: RESPONSE_EXPIRES_DEFAULT_MS };
  if (typeof value !== 'object' || value === null) throw new BrokerConfigError(`${who}: allow_responses must be true or {max, expires}`);
  const { max, expires } = value;
  if (max !== undefined && !Number.isInteger(max)) throw new BrokerConfigError(`${who}: allow_responses.max must be an integer`);
  if (expires !== undefined && !Number.isFinite(expires)) throw new BrokerConfigError(`${who}: allow_responses.expires must be a number (ms)`);
  return { max: max || RESPONSE_MAX_DEFAULT, expires: expires || RESPONSE_EXPIRES_DEFAULT_MS };
}

function prune(cache: Map<string, boolean>): void {
  let n = PRUNE;
  for (const key of cache.keys()) {
    cache.delete(key);
    if (--n === 0) break;
  }
}
