import type { RuleEngine, RuleSummary } from '@nest-mesh/rules';
import type { Instance, ParamsSchema } from './srv-answers';

/**
 * `GET /v1/api/{project}/services` as data (docs/discovery.md): the services that instances
 * announced, each with the functions whose rule can allow a call (a service with none is left out). When instances announce
 * different params schemas for one function, `params` is that of the newest version and
 * `conflicts` lists every schema with the instances announcing it: nothing is merged silently.
 */

export interface ParamsVariant {
  params: ParamsSchema;
  instances: string[];
}

export interface ListedFunction {
  name: string;
  params: ParamsSchema;
  conflicts?: ParamsVariant[];
}

export interface ListedService {
  name: string;
  /** The newest version among the instances. */
  version: string;
  /** How many instances answered (INFO, or PING only). */
  instances: number;
  functions: ListedFunction[];
}

/** A listed function with the rule that lets it be called (for OpenAPI and the console). */
export interface CallableFunction extends ListedFunction {
  rule: RuleSummary;
}

export interface CatalogService extends Omit<ListedService, 'functions' | 'instances'> {
  instances: Instance[];
  functions: CallableFunction[];
}

/** The services and their callable functions, sorted by name. */
export function catalogOf(instances: Instance[], rules: RuleEngine): CatalogService[] {
  const byService = new Map<string, Instance[]>();
  for (const instance of instances) {
    const list = byService.get(instance.service) ?? [];
    list.push(instance);
    byService.set(instance.service, list);
  }
  const services: CatalogService[] = [];
  for (const [name, members] of byService) {
    members.sort((a, b) => compareVersions(b.version, a.version) || (a.id < b.id ? -1 : 1));
    const funcs = new Set(members.flatMap((instance) => [...instance.functions.keys()]));
    const functions: CallableFunction[] = [];
    for (const func of [...funcs].sort()) {
      const rule = rules.describe(name, func);
      if (rule === undefined || !rule.canAllow) continue;
      functions.push({ ...paramsOf(func, members), rule });
    }
    if (functions.length > 0) services.push({ name, version: members[0].version, instances: members, functions });
  }
  return services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The public listing of a catalog: `{ name, version, instances, functions: [{ name, params }] }`. */
export function listingOf(catalog: CatalogService[]): { services: ListedService[] } {
  return {
    services: catalog.map((service) => ({
      name: service.name,
      version: service.version,
      instances: service.instances.length,
      functions: service.functions.map(({ rule: _rule, ...func }) => func),
    })),
  };
}

/** `members` newest first: the schema of the newest instance that has the function wins. */
function paramsOf(func: string, members: Instance[]): ListedFunction {
  const variants: ParamsVariant[] = [];
  const byJson = new Map<string, ParamsVariant>();
  for (const instance of members) {
    if (!instance.functions.has(func)) continue;
    const params = instance.functions.get(func)!;
    const json = JSON.stringify(params);
    let variant = byJson.get(json);
    if (!variant) {
      variant = { params, instances: [] };
      byJson.set(json, variant);
      variants.push(variant);
    }
    variant.instances.push(instance.id);
  }
  const chosen = variants[0];
  return variants.length > 1 ? { name: func, params: chosen.params, conflicts: variants } : { name: func, params: chosen.params };
}

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(.*)$/;

/** Semver-like order (numeric parts first, then text); unparsable versions sort last. */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  // A pre-release (1.0.0-rc.1) comes before its release (1.0.0).
  if (pa[4] === pb[4]) return 0;
  if (pa[4] === '') return 1;
  if (pb[4] === '') return -1;
  return pa[4] < pb[4] ? -1 : 1;
}
