import type { GatewayConfig } from '../config/gateway-config';
import { EventRules } from './event-rules';
import { triggersOf } from './trigger-config';

/** Checks `modules.eventing` beyond its types (triggers, rules); throws naming the path of the first mistake. */
export function checkEventing(config: GatewayConfig): void {
  const eventing = config.modules.eventing;
  if (eventing.enabled && !config.modules.functions.enabled) {
    throw new Error('modules.eventing.enabled: needs modules.functions.enabled (triggers call functions)');
  }
  triggersOf(config);
  EventRules.compile(eventing);
}
