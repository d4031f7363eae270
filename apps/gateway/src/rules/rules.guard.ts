import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { MeshError } from 'nest-mesh';
import { CurrentTokenVerifier, TokenError } from '../auth';
import { callOf } from '../call/call-request';
import { RateLimits } from '../limits';
import { RulesService } from './rules.service';

/**
 * Second step of every call: verifies the token when one is sent (always, whatever the rule),
 * then counts the call against the entry's `rateLimit` if it has one, then asks the rules. Deny
 * reasons go to the log only; the caller sees the status and code.
 * The verifier and the rules are read once, at the start: a config reload does not change them
 * under a call that is already being checked.
 */
@Injectable()
export class RulesGuard implements CanActivate {
  private readonly logger = new Logger('Rules');

  constructor(
    private readonly tokens: CurrentTokenVerifier,
    private readonly rules: RulesService,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; ip?: string }>();
    const call = callOf(request);
    const verifier = this.tokens.current;
    const engine = this.rules.current;
    try {
      call.auth = await verifier.verify(request.headers.authorization);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      this.logger.warn(`request ${call.requestId}: token rejected: ${error.message}`);
      throw new MeshError(401, 'invalid token', 'UNAUTHENTICATED');
    }
    const entry = engine.entryOf(call.service, call.func);
    if (entry?.rateLimit !== undefined) await this.limits.check(entry.rateLimit, request, context.switchToHttp().getResponse(), call.auth);
    const pending = engine.decideEntry(entry, call.service, call.func, { auth: call.auth, params: call.params, origin: call });
    const decision = pending instanceof Promise ? await pending : pending;
    if (decision.allow) return true;
    this.logger.warn(`request ${call.requestId}: ${call.service}.${call.func} denied by ${decision.path}: ${decision.reason}`);
    throw new MeshError(decision.status, decision.status === 401 ? 'a token is required' : 'access denied', decision.code);
  }
}
