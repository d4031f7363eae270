import { Injectable } from '@nestjs/common';
import { compileRules, Decision, RuleArgs, RuleCaller, RuleEngine } from '@nest-mesh/rules';
import { MeshAuth, MeshClient } from 'nest-mesh';
import type { CallRequest } from '../call/call-request';
import type { ConfigReloadable } from '../config/config-reloadable';
import { FunctionsConfig, GatewayConfig } from '../config/gateway-config';

/**
 * Holds the compiled rules of the gateway. A config reload compiles the new ones (`prepareConfig`:
 * an invalid rule refuses the reload) and swaps them at once (`applyConfig`); a call reads `current`
 * once, so a decision already under way finishes with the rules it started with.
 */
@Injectable()
export class RulesService implements ConfigReloadable<RuleEngine> {
  private readonly caller: RuleCaller;
  private engine: RuleEngine;

  constructor(config: GatewayConfig, mesh: MeshClient) {
    this.caller = funcRuleCaller(mesh);
    this.engine = this.compile(config.modules.functions);
  }

  /** The rules in use now. */
  get current(): RuleEngine {
    return this.engine;
  }

  decide(service: string, func: string, args: RuleArgs): Decision | Promise<Decision> {
    return this.engine.decide(service, func, args);
  }

  /** Compiles the new `rules` and `ruleTimeout` without installing them; throws RuleConfigError naming the path. */
  prepareConfig(next: GatewayConfig): RuleEngine {
    return this.compile(next.modules.functions);
  }

  applyConfig(_next: GatewayConfig, engine: RuleEngine): void {
    this.engine = engine;
  }

  private compile(functions: Pick<FunctionsConfig, 'rules' | 'ruleTimeout'>): RuleEngine {
    return compileRules(functions.rules, { caller: this.caller, funcTimeoutMs: functions.ruleTimeout });
  }
}

/**
 * How a `func` rule calls its function (functions' and eventing's rules): directly, never through
 * the rules (no loop is possible), with the caller's claims, so that the call's Mesh-Token carries
 * them (docs/security.md). For an HTTP call (`origin`, set by the RulesGuard) it keeps the call's
 * request id and continues its trace.
 */
export function funcRuleCaller(mesh: MeshClient): RuleCaller {
  return {
    call: (service, func, payload, timeout, origin) => {
      const call = origin as Pick<CallRequest, 'requestId' | 'trace'> | undefined;
      return mesh.call(service, func, payload, { timeout, auth: authOf(payload), requestId: call?.requestId, trace: call?.trace });
    },
  };
}

function authOf(payload: unknown): MeshAuth | undefined {
  const auth = (payload as { auth?: unknown } | null)?.auth;
  return auth !== null && typeof auth === 'object' ? (auth as MeshAuth) : undefined;
}
