import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleEngine } from '@nest-mesh/rules';
import { MeshCodes, MeshError } from 'nest-mesh';
import { MeshConnection } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';
import { RulesService } from '../rules/rules.service';
import { CatalogService, catalogOf, FirstSeen } from './services-listing';
import { Instance, parseSrvAnswers } from './srv-answers';
import { DEFAULT_GATHER_LIMITS, gatherSrvAnswers } from './srv-gather';

/** How long the answers of one discovery round are reused, in ms. */
const DISCOVERY_CACHE_MS = 3000;

export interface DiscoveryRound {
  /** When the round ended (unix ms). */
  at: number;
  instances: Instance[];
  /** What was wrong with the answers (not JSON, bad shapes, PING without INFO...). */
  problems: string[];
}

export interface Catalog {
  round: DiscoveryRound;
  rules: RuleEngine;
  services: CatalogService[];
  documents: Map<string, string>;
}

/**
 * The services on the mesh, from `$SRV` answers (docs/discovery.md). One round is made at a time
 * and its answers are reused for a few seconds: many HTTP requests at once share one round, so
 * the load on the services does not grow with the requests. Without a broker: 503 at once.
 */
@Injectable()
export class DiscoveryService {
  private readonly logger = new Logger('Discovery');
  private last?: DiscoveryRound;
  private pending?: Promise<DiscoveryRound>;
  private memo?: Catalog;
  /** When each announcement was first seen: ties between disagreeing instances keep the older one. */
  private readonly seen = new FirstSeen();
  /** Problems already logged: each is logged once, not every round. */
  private readonly logged = new Set<string>();

  /** A params schema nested deeper than this counts as none (`http.maxDepth`, read at start-up). */
  private readonly maxSchemaDepth: number;

  constructor(
    private readonly connection: MeshConnection,
    private readonly rules: RulesService,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.maxSchemaDepth = config.http.maxDepth;
  }

  /** The services and their callable functions (with their rules) under the rules in use now. */
  async catalog(): Promise<Catalog> {
    const round = await this.round();
    const rules = this.rules.current;
    if (this.memo?.round !== round || this.memo.rules !== rules) {
      this.memo = { round, rules, services: catalogOf(round.instances, rules, this.seen), documents: new Map() };
    }
    return this.memo;
  }

  /** A document made from the catalog (the listing, OpenAPI) as JSON, made once per round and rules. */
  async document(name: string, make: (catalog: Catalog) => unknown): Promise<string> {
    const catalog = await this.catalog();
    let json = catalog.documents.get(name);
    if (json === undefined) {
      json = JSON.stringify(make(catalog));
      catalog.documents.set(name, json);
    }
    return json;
  }

  /** The latest round's answers if fresh, else those of a new round (shared with concurrent callers). */
  round(): Promise<DiscoveryRound> {
    const nc = this.connection.current;
    if (!nc) return Promise.reject(new MeshError(503, 'the broker is unreachable', MeshCodes.SERVICE_UNAVAILABLE));
    if (this.last && Date.now() - this.last.at < DISCOVERY_CACHE_MS) return Promise.resolve(this.last);
    this.pending ??= gatherSrvAnswers(nc, DEFAULT_GATHER_LIMITS)
      .then((answers) => {
        if (!this.connection.current) throw new MeshError(503, 'the connection to the broker was lost', MeshCodes.SERVICE_UNAVAILABLE);
        const { instances, problems } = parseSrvAnswers(answers, this.maxSchemaDepth);
        this.report(problems);
        this.last = { at: Date.now(), instances, problems };
        return this.last;
      })
      .catch((error: unknown) => {
        if (error instanceof MeshError) throw error;
        throw new MeshError(503, `service discovery failed: ${(error as Error).message}`, MeshCodes.SERVICE_UNAVAILABLE);
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private report(problems: string[]): void {
    for (const problem of problems) {
      if (this.logged.has(problem)) continue;
      if (this.logged.size >= 1000) this.logged.clear();
      this.logged.add(problem);
      this.logger.warn(`service discovery: ${problem}`);
    }
  }
}
