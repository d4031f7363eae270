import { Injectable, Logger } from '@nestjs/common';
import { Decision, RuleArgs } from '@nest-mesh/rules';
import { MeshClient, MeshCodes, MeshError } from 'nest-mesh';
import { CurrentTokenVerifier, TokenError } from '../auth';
import { GatewayConfig } from '../config/gateway-config';
import { requestIdOf } from '../http/request-id';
import { RateLimits } from '../limits';
import { funcRuleCaller } from '../rules/rules.service';
import { EventRules } from './event-rules';

type HttpRequest = { headers: Record<string, string | undefined>; ip?: string };

/**
 * Who may use the eventing routes: the project must match (404), a token that is sent is always
 * verified (401), then the entry's `rateLimit` is counted (429), then the rules decide (401/403),
 * as for function calls (docs/rules.md, docs/operations.md#rate-limits).
 */
@Injectable()
export class EventingAccess {
  private readonly logger = new Logger('Eventing');
  private readonly projectId: string;
  private readonly rules: EventRules;

  constructor(
    config: GatewayConfig,
    mesh: MeshClient,
    private readonly tokens: CurrentTokenVerifier,
    private readonly limits: RateLimits,
  ) {
    this.projectId = config.id;
    this.rules = EventRules.compile(config.modules.eventing, funcRuleCaller(mesh), config.modules.functions.ruleTimeout);
  }

  checkProject(project: string): void {
    if (project !== this.projectId) throw new MeshError(404, `project "${project}" not found`, MeshCodes.PROJECT_NOT_FOUND);
  }

  /** The verified claims of the request's token, undefined when none was sent; 401 when it is bad. */
  async verify(request: HttpRequest): Promise<RuleArgs['auth']> {
    try {
      return await this.tokens.current.verify(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      this.logger.warn(`request ${requestIdOf(request)}: token rejected: ${error.message}`);
      throw new MeshError(401, 'invalid token', MeshCodes.UNAUTHENTICATED);
    }
  }

  /** Counts the entry's rate limit for this caller (429 with Retry-After on `response`), then runs its rule. */
  async allowQueue(type: string, auth: RuleArgs['auth'], payload: unknown, request: HttpRequest, response: unknown): Promise<void> {
    const entry = this.rules.queueEntry(type);
    if (entry?.rateLimit !== undefined) await this.limits.check(entry.rateLimit, request, response, auth);
    this.enforce(await this.rules.decideQueue(entry, type, { auth, params: payload }), `queue ${type}`, requestIdOf(request));
  }

  async allowAdmin(project: string, request: HttpRequest): Promise<void> {
    this.checkProject(project);
    const auth = await this.verify(request);
    this.enforce(await this.rules.decideAdmin(auth), 'eventing admin', requestIdOf(request));
  }

  private enforce(decision: Decision, what: string, requestId: string): void {
    if (decision.allow) return;
    this.logger.warn(`request ${requestId}: ${what} denied by ${decision.path}: ${decision.reason}`);
    throw new MeshError(decision.status, decision.status === 401 ? 'a token is required' : 'access denied', decision.code);
  }
}
