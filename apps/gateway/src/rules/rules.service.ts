import { Injectable, Logger } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import type { Decision, RuleArgs, RuleCaller, RuleEngine, RuleEntry } from '@nest-mesh/rules';
import { MeshAuth, MeshClient, MeshError } from 'nest-mesh';
import type { ConfigReloadable } from '../config/config-reloadable';
import { GatewayConfig } from '../config/gateway-config';

/** What a decision knows of the call it is about (the gateway's CallRequest fits). */
export interface RuledCall {
  service: string;
  func: string;
  params: unknown;
  auth?: MeshAuth;
  requestId: string;
  trace?: Context;
}

/**
 * The rules in use (compiled once, with the config: `modules.functions.ruleEngine`) and how they
 * decide a call. A config reload swaps the engine (`applyConfig`); a call reads `current` once, so a
 * decision already under way finishes with the rules it started with. Deny reasons go to the log
 * only; the caller sees the status and code.
 */
@Injectable()
export class RulesService implements ConfigReloadable {
  private readonly logger = new Logger('Rules');
  /** How `func` rules call their function (functions' and eventing's rules). */
  readonly caller: RuleCaller;
  private engine: RuleEngine;

  constructor(config: GatewayConfig, mesh: MeshClient) {
    this.caller = funcRuleCaller(mesh);
    this.engine = config.modules.functions.ruleEngine;
  }

  /** The rules in use now. */
  get current(): RuleEngine {
    return this.engine;
  }

  applyConfig(next: GatewayConfig): void {
    this.engine = next.modules.functions.ruleEngine;
  }

  /** The decision of `entry` (from `current.entryOf(call.service, call.func)`) for `call`. */
  decide(entry: RuleEntry | undefined, call: RuledCall): Decision | Promise<Decision> {
    const args: RuleArgs = { auth: call.auth, params: call.params, origin: call, caller: this.caller };
    return this.engine.decideEntry(entry, call.service, call.func, args);
  }

  /** Throws the MeshError of a denial (401 or 403), after a log line naming `what` and the deciding rule. */
  enforce(decision: Decision, what: string, requestId: string): void {
    if (decision.allow) return;
    this.logger.warn(`request ${requestId}: ${what} denied by ${decision.path}: ${decision.reason}`);
    throw new MeshError(decision.status, decision.status === 401 ? 'a token is required' : 'access denied', decision.code);
  }
}

/**
 * How a `func` rule calls its function: directly, never through the rules (no loop is possible),
 * with the caller's claims, so that the call's Mesh-Token carries them (docs/security.md). For an
 * HTTP call (`origin`: the RuledCall) it keeps the call's request id and continues its trace.
 */
export function funcRuleCaller(mesh: MeshClient): RuleCaller {
  return {
    call: (service, func, payload, timeout, origin) => {
      const call = origin as Partial<RuledCall> | undefined;
      return mesh.call(service, func, payload, { timeout, auth: authOf(payload), requestId: call?.requestId, trace: call?.trace });
    },
  };
}

function authOf(payload: unknown): MeshAuth | undefined {
  const auth = (payload as { auth?: unknown } | null)?.auth;
  return auth !== null && typeof auth === 'object' ? (auth as MeshAuth) : undefined;
}
