import type { GatewayConfig } from './gateway-config';

/**
 * A part of the gateway that takes new settings on a config reload (SIGHUP, docs/rules.md#reloading).
 * The reloader first calls every part's `prepareConfig` (it may be async, and throws to refuse the
 * whole reload: its message is logged), then every part's `applyConfig` with what its
 * `prepareConfig` returned, all in one synchronous step, so a call sees the old settings or the new
 * ones, never a mix. A part reads only its own keys of `next`.
 */
export interface ConfigReloadable<Prepared = unknown> {
  /** Makes what the new settings need (compiled rules, keys); nothing is in use yet. */
  prepareConfig?(next: GatewayConfig): Prepared | Promise<Prepared>;
  /** Puts the new settings in use; synchronous, and never throws. */
  applyConfig(next: GatewayConfig, prepared: Prepared): void;
}

/**
 * The token of the list of ConfigReloadable parts, in the order they are prepared and applied
 * (GatewayModule provides it; see `reloadablesProvider` there).
 */
export const CONFIG_RELOADABLES = Symbol('ConfigReloadables');
