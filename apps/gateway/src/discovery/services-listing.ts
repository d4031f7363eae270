import type { RuleEngine, RuleSummary } from '@nest-mesh/rules';
import type { Instance, ParamsSchema } from './srv-answers';

/**
 * `GET /v1/api/{project}/services` as data (docs/discovery.md): the services that instances
 * announced, each with the functions whose rule can allow a call (a service with none is left out).
 * When instances disagree on a service's version or on a function's params schema, the listing
 * follows what most instances announce (a tie: what the gateway saw first, see FirstSeen), and
 * `versionConflicts` or `conflicts` list every variant with the instances announcing it: nothing
 * is merged silently, and one instance cannot replace what the others announce.
 */

export interface ParamsVariant {
  params: ParamsSchema;
  instances: string[];
}

export interface VersionVariant {
  version: string;
  instances: string[];
}

export interface ListedFunction {
  name: string;
  params: ParamsSchema;
  /** Every schema the instances announce, the chosen one first; only when they disagree. */
  conflicts?: ParamsVariant[];
}

export interface ListedService {
  name: string;
  /** The version most instances announce. */
  version: string;
  /** Every version the instances announce, the chosen one first; only when they disagree. */
  versionConflicts?: VersionVariant[];
  /** How many instances answered (INFO, or PING only). */
  instances: number;
  functions: ListedFunction[];
}

/** A listed function with the rule that lets it be called and its result schema (for OpenAPI and the console). */
export interface CallableFunction extends ListedFunction {
  rule: RuleSummary;
  /** The result schema most of the instances that have the function announce (null: none); not in the listing. */
  result: ParamsSchema;
}

export interface CatalogService extends Omit<ListedService, 'functions' | 'instances'> {
  instances: Instance[];
  functions: CallableFunction[];
}

/**
 * When the gateway first saw each announcement (a service's version, a function's schema), to
 * break ties: one seen in an earlier discovery round ranks before one seen later; within a round,
 * the order in which the answers arrived. An announcement that no instance makes any more is
 * forgotten (so the memory is as large as one round's answers).
 */
export class FirstSeen {
  private ranks = new Map<string, number>();
  private next = 0;

  /** The ranks of one round's announcements, given in the order of its answers; forgets the others. */
  rank(keys: Iterable<string>): Map<string, number> {
    const ranks = new Map<string, number>();
    for (const key of keys) {
      if (!ranks.has(key)) ranks.set(key, this.ranks.get(key) ?? this.next++);
    }
    this.ranks = ranks;
    return ranks;
  }
}

/** The variants of one announcement by their keys, in the order first announced in the round. */
type Votes<T> = Map<string, { value: T; instances: string[] }>;

/**
 * The services and their callable functions, sorted by name. `instances` in the order their
 * answers arrived; `seen` remembers earlier rounds (a new FirstSeen: this round only).
 */
export function catalogOf(instances: Instance[], rules: RuleEngine, seen: FirstSeen = new FirstSeen()): CatalogService[] {
  const byService = new Map<string, Instance[]>();
  for (const instance of instances) {
    const list = byService.get(instance.service) ?? [];
    list.push(instance);
    byService.set(instance.service, list);
  }
  // Count the votes in answer order (that order breaks ties within the round), then rank them.
  const counted = [...byService].map(([name, members]) => {
    const versions: Votes<string> = new Map();
    const functions = new Map<string, Votes<ParamsSchema>>();
    const results = new Map<string, Votes<ParamsSchema>>();
    for (const instance of members) {
      vote(versions, `v\n${name}\n${instance.version}`, instance.version, instance.id);
      for (const [func, params] of instance.functions) {
        const votes: Votes<ParamsSchema> = functions.get(func) ?? new Map();
        functions.set(func, votes);
        vote(votes, `p\n${name}\n${func}\n${JSON.stringify(params)}`, params, instance.id);
        const result = instance.results.get(func) ?? null;
        const resultVotes: Votes<ParamsSchema> = results.get(func) ?? new Map();
        results.set(func, resultVotes);
        vote(resultVotes, `r\n${name}\n${func}\n${JSON.stringify(result)}`, result, instance.id);
      }
    }
    return { name, members, versions, functions, results };
  });
  const ranks = seen.rank(
    counted.flatMap(({ versions, functions, results }) => [versions, ...functions.values(), ...results.values()].flatMap((votes) => [...votes.keys()])),
  );

  const services: CatalogService[] = [];
  for (const { name, members, versions, functions: votes, results } of counted) {
    const functions: CallableFunction[] = [];
    for (const func of [...votes.keys()].sort()) {
      const rule = rules.describe(name, func);
      if (rule === undefined || !rule.canAllow) continue;
      const [chosen, ...others] = ranked(votes.get(func)!, ranks);
      const listed: ListedFunction = { name: func, params: chosen.value };
      if (others.length > 0) listed.conflicts = [chosen, ...others].map(({ value, instances }) => ({ params: value, instances }));
      functions.push({ ...listed, rule, result: ranked(results.get(func)!, ranks)[0].value });
    }
    if (functions.length === 0) continue;
    const [chosen, ...others] = ranked(versions, ranks);
    const service: CatalogService = { name, version: chosen.value, instances: [...members].sort(byId), functions };
    if (others.length > 0) service.versionConflicts = [chosen, ...others].map(({ value, instances }) => ({ version: value, instances }));
    services.push(service);
  }
  return services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function vote<T>(votes: Votes<T>, key: string, value: T, id: string): void {
  const variant = votes.get(key);
  if (variant) variant.instances.push(id);
  else votes.set(key, { value, instances: [id] });
}

/** The variants, most instances first; a tie: the one seen first. Instance ids sorted. */
function ranked<T>(votes: Votes<T>, ranks: Map<string, number>): { value: T; instances: string[] }[] {
  return [...votes]
    .sort(([a, va], [b, vb]) => vb.instances.length - va.instances.length || ranks.get(a)! - ranks.get(b)!)
    .map(([, { value, instances }]) => ({ value, instances: [...instances].sort() }));
}

const byId = (a: Instance, b: Instance) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The public listing of a catalog: `{ name, version, instances, functions: [{ name, params }] }`. */
export function listingOf(catalog: CatalogService[]): { services: ListedService[] } {
  return {
    services: catalog.map((service) => ({
      name: service.name,
      version: service.version,
      ...(service.versionConflicts && { versionConflicts: service.versionConflicts }),
      instances: service.instances.length,
      functions: service.functions.map(({ rule: _rule, result: _result, ...func }) => func),
    })),
  };
}
