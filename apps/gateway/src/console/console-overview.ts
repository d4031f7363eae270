import type { Catalog } from '../discovery/discovery.service';
import type { EndpointStats } from '../discovery/srv-answers';

/**
 * `GET /console/api/services` as data (docs/discovery.md): what the console shows. The same
 * services and functions as the public listing (only what a rule can allow), plus each
 * instance with its ADR-32 stats, each function's rule (kind, config path, token) and what
 * discovery found wrong with the answers.
 */
export interface ConsoleOverview {
  project: string;
  /** When the discovery round ended (ISO time). */
  at: string;
  services: {
    name: string;
    version: string;
    versionConflicts?: { version: string; instances: string[] }[];
    instances: { id: string; version: string; info: boolean; started: string | null; stats: Record<string, EndpointStats> }[];
    functions: { name: string; params: unknown; conflicts?: unknown; rule: { kind: string; path: string; token: string } }[];
  }[];
  problems: string[];
}

export function consoleOverviewOf(project: string, catalog: Catalog): ConsoleOverview {
  return {
    project,
    at: new Date(catalog.round.at).toISOString(),
    services: catalog.services.map((service) => ({
      name: service.name,
      version: service.version,
      ...(service.versionConflicts && { versionConflicts: service.versionConflicts }),
      instances: service.instances.map((instance) => ({
        id: instance.id,
        version: instance.version,
        info: instance.info,
        started: instance.started ?? null,
        stats: Object.fromEntries(instance.stats),
      })),
      functions: service.functions.map(({ rule, result: _result, ...func }) => ({ ...func, rule: { kind: rule.kind, path: rule.path, token: rule.token } })),
    })),
    problems: catalog.round.problems.slice(0, 100),
  };
}
