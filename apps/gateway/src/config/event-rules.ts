import { compileRule, CompiledRule, compileRuleEntry, Decision, forbidden, RuleArgs, RuleCaller, RuleConfigError, RuleEntry, unauthenticated } from '@nest-mesh/rules';
import { DEFAULT_RULE_TIMEOUT_MS, isValidEventType } from '@nest-mesh/wire';
import type { EventingConfig } from './gateway-config';

const RULES_PATH = 'modules.eventing.rules';
const ADMIN_PATH = 'modules.eventing.admin';
const NO_RULE: Decision = forbidden('(none)', 'no rule applies to the event type');
const NO_ADMIN_RULE: Decision = forbidden(ADMIN_PATH, 'no admin rule is configured');
const ADMIN_NEEDS_TOKEN: Decision = unauthenticated(ADMIN_PATH, 'the admin routes need a token');

/**
 * The rules of eventing, compiled once: who may queue each event type over HTTP
 * (`rules.<type>`, else `rules.default`, else 403) and who may use the admin routes (`admin`,
 * which always needs a token). The same rule engine and rule kinds as functions (docs/rules.md);
 * an entry of `rules` may carry a `rateLimit`, as a function's does (`admin` takes none).
 */
export class EventRules {
  private constructor(
    private readonly byType: ReadonlyMap<string, RuleEntry>,
    private readonly admin: CompiledRule | undefined,
  ) {}

  /** Throws RuleConfigError naming the path of the first mistake. A `func` rule gets its caller with each decision (RuleArgs.caller). */
  static compile(config: Pick<EventingConfig, 'rules' | 'admin'>, funcTimeoutMs = DEFAULT_RULE_TIMEOUT_MS): EventRules {
    const ctx = { caller: undefined, funcTimeoutMs };
    const byType = new Map<string, RuleEntry>();
    for (const [type, rule] of Object.entries(config.rules)) {
      if (!isValidEventType(type)) throw new RuleConfigError(`${RULES_PATH}.${type}`, 'invalid event type (1-128 of [A-Za-z0-9._:-])');
      byType.set(type, compileRuleEntry(rule, `${RULES_PATH}.${type}`, ctx));
    }
    const admin = config.admin === undefined ? undefined : compileRule(config.admin, ADMIN_PATH, ctx);
    return new EventRules(byType, admin);
  }

  /** The entry that covers queueing `type` (`rules.<type>`, else `rules.default`); undefined: none (403). */
  queueEntry(type: string): RuleEntry | undefined {
    return this.byType.get(type) ?? this.byType.get('default');
  }

  /** May an event of `type` with `args` (claims and payload as params) be queued, by the entry `queueEntry(type)`? */
  decideQueue(entry: RuleEntry | undefined, type: string, args: RuleArgs): Decision | Promise<Decision> {
    return entry === undefined ? NO_RULE : entry.evaluate(args, 'eventing', type);
  }

  /** May these claims use the admin routes? `caller`: how a `func` rule calls its function. */
  decideAdmin(auth: RuleArgs['auth'], caller?: RuleCaller): Decision | Promise<Decision> {
    if (this.admin === undefined) return NO_ADMIN_RULE;
    if (auth === undefined) return ADMIN_NEEDS_TOKEN;
    return this.admin.evaluate({ auth, params: null, caller }, 'eventing', 'admin');
  }
}
