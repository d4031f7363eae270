import { Injectable } from '@nestjs/common';
import type { RuleArgs } from '@nest-mesh/rules';
import { CurrentTokenVerifier } from '../auth';
import type { EventRules } from '../config/event-rules';
import { GatewayConfig } from '../config/gateway-config';
import { checkProject } from '../http/project';
import { requestIdOf } from '../http/request-id';
import { RateLimits } from '../limits';
import { RulesService } from '../rules/rules.service';

type HttpRequest = { headers: Record<string, string | undefined>; ip?: string };

/**
 * Who may use the eventing routes: the project must match (404), a token that is sent is always
 * verified (401), then the entry's `rateLimit` is counted (429), then the rules decide (401/403),
 * as for function calls (docs/rules.md, docs/operations.md#rate-limits).
 */
@Injectable()
export class EventingAccess {
  private readonly projectId: string;
  private readonly eventRules: EventRules;

  constructor(
    config: GatewayConfig,
    private readonly tokens: CurrentTokenVerifier,
    private readonly limits: RateLimits,
    private readonly rules: RulesService,
  ) {
    this.projectId = config.id;
    this.eventRules = config.modules.eventing.eventRules;
  }

  checkProject(project: string): void {
    checkProject(project, this.projectId);
  }

  /** The verified claims of the request's token, undefined when none was sent; 401 when it is bad. */
  verify(request: HttpRequest): Promise<RuleArgs['auth']> {
    return this.tokens.authenticate(request.headers.authorization, requestIdOf(request));
  }

  /** Counts the entry's rate limit for this caller (429 with Retry-After on `response`), then runs its rule. */
  async allowQueue(type: string, auth: RuleArgs['auth'], payload: unknown, request: HttpRequest, response: unknown): Promise<void> {
    const entry = this.eventRules.queueEntry(type);
    if (entry?.rateLimit !== undefined) await this.limits.check(entry.rateLimit, request, response, auth);
    const decision = await this.eventRules.decideQueue(entry, type, { auth, params: payload, caller: this.rules.caller });
    this.rules.enforce(decision, `queue ${type}`, requestIdOf(request));
  }

  async allowAdmin(project: string, request: HttpRequest): Promise<void> {
    this.checkProject(project);
    const auth = await this.verify(request);
    this.rules.enforce(await this.eventRules.decideAdmin(auth, this.rules.caller), 'eventing admin', requestIdOf(request));
  }
}
