import type { GatewayConfig } from '../config/gateway-config';

/**
 * The users and permissions of a config as a nats-server `authorization { ... }` block, so that a
 * real NATS deployment enforces what the embedded broker does (`nest-mesh nats-config`,
 * docs/security.md). Not part of this build: it throws, and the command says so.
 */
export function renderNatsConfig(config: GatewayConfig): string {
  void config;
  throw new Error('nats-config is not available in this build of nest-mesh');
}
