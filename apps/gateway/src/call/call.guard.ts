import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { CurrentTokenVerifier } from '../auth';
import { GatewayConfig, TimeoutConfig } from '../config/gateway-config';
import { requestIdOf } from '../http/request-id';
import { InFlightLimit, RateLimits } from '../limits';
import { CallObserver } from '../observability/call-observer';
import { RulesService } from '../rules/rules.service';
import { attachCall, CallRequest, HttpCallRequest, parseCall } from './call-request';

interface GuardedRequest extends HttpCallRequest {
  ip?: string;
  method?: string;
  url?: string;
}

/**
 * The checks of a call, in the order of docs/protocol.md, before it is made: the `maxInFlight`
 * bound (503 OVERLOADED), then the request itself (415, 404, 400), then the token when one is sent
 * (always verified, whatever the rule: 401), the entry's `rateLimit` (429), and the rule (401/403).
 * The call's clock, span and log line start here (CallObserver); the parsed CallRequest goes on to
 * the controller. The verifier and the rules are read once, at the start: a config reload does not
 * change them under a call that is already being checked.
 */
@Injectable()
export class CallGuard implements CanActivate {
  private readonly projectId: string;
  private readonly timeouts: TimeoutConfig;

  constructor(
    config: GatewayConfig,
    private readonly inFlight: InFlightLimit,
    private readonly observer: CallObserver,
    private readonly tokens: CurrentTokenVerifier,
    private readonly limits: RateLimits,
    private readonly rules: RulesService,
  ) {
    this.projectId = config.id;
    this.timeouts = config.modules.functions.timeout;
  }

  canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    const response = http.getResponse<Parameters<InFlightLimit['enter']>[0]>();
    this.inFlight.enter(response);
    const observed = this.observer.begin(request);
    const call = parseCall(request, this.projectId, this.timeouts, requestIdOf(request), observed);
    attachCall(request, call);
    return this.authorize(call, request, response);
  }

  private async authorize(call: CallRequest, request: GuardedRequest, response: unknown): Promise<boolean> {
    const entry = this.rules.current.entryOf(call.service, call.func);
    call.auth = await this.tokens.authenticate(request.headers.authorization as string | undefined, call.requestId);
    if (entry?.rateLimit !== undefined) await this.limits.check(entry.rateLimit, request, response, call.auth);
    const decision = this.rules.decide(entry, call);
    this.rules.enforce(decision instanceof Promise ? await decision : decision, `${call.service}.${call.func}`, call.requestId);
    return true;
  }
}
