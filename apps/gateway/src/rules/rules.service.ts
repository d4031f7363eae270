import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { compileRules, Decision, RuleArgs, RuleCaller, RuleEngine } from '@nest-mesh/rules';
import { MeshClient } from 'nest-mesh';
import type { FunctionsConfig } from '../config/gateway-config';

/**
 * Holds the compiled rules of the gateway. `replace` swaps them at once (on a config reload);
 * a decision already under way finishes with the rules it started with.
 */
@Injectable()
export class RulesService {
  private readonly logger = new Logger('Rules');
  private readonly caller: RuleCaller;
  private engine: RuleEngine;

  constructor(config: ConfigService, mesh: MeshClient) {
    // The `func` rule calls its function directly, never through the rules: no loop is possible.
    this.caller = { call: (service, func, payload, timeout) => mesh.call(service, func, payload, { timeout }) };
    this.engine = this.compile(config.getOrThrow<FunctionsConfig>('modules.functions'));
  }

  decide(service: string, func: string, args: RuleArgs): Decision | Promise<Decision> {
    return this.engine.decide(service, func, args);
  }

  /** Compiles and installs new rules; throws (keeping the old ones) when they are invalid. */
  replace(functions: FunctionsConfig): void {
    this.engine = this.compile(functions);
    this.logger.log('rules replaced');
  }

  private compile(functions: FunctionsConfig): RuleEngine {
    return compileRules(functions.rules, { caller: this.caller, funcTimeoutMs: functions.ruleTimeout });
  }
}
