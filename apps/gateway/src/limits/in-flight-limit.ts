import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HttpHeaders, MeshCodes } from '@nest-mesh/wire';
import { MeshError } from 'nest-mesh';
import type { ConfigReloadable } from '../config/config-reloadable';
import { GatewayConfig } from '../config/gateway-config';

interface ClosingResponse {
  on(event: 'close', listener: () => void): unknown;
}

/**
 * The calls the gateway has under way, bounded by `modules.functions.maxInFlight`
 * (docs/operations.md#overload-maxinflight). A call counts from its first step until its response
 * is finished or its connection is gone; beyond the bound it is answered at once with 503
 * OVERLOADED and Retry-After, never queued. The `mesh_gateway_calls_in_flight` gauge reads `count`,
 * so it shows exactly what the bound is compared with.
 */
@Injectable()
export class InFlightLimit implements ConfigReloadable {
  private calls = 0;
  private max: number;
  private readonly overloaded = new MeshError(503, 'the gateway has too many calls under way; retry later', MeshCodes.OVERLOADED);
  /** Bound, so that it can be a response's 'close' listener as it is (no closure per call). */
  private readonly leave = (): void => {
    this.calls--;
  };

  constructor(
    @Inject(GatewayConfig) config: GatewayConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.max = config.modules.functions.maxInFlight;
  }

  /** Calls under way now. */
  get count(): number {
    return this.calls;
  }

  /** A new bound, from a config reload; calls already under way finish. */
  applyConfig(next: GatewayConfig): void {
    this.max = next.modules.functions.maxInFlight;
  }

  /** Counts the call of `response` until it closes; throws 503 OVERLOADED (with Retry-After) when `maxInFlight` calls are under way. */
  enter(response: ClosingResponse & { raw?: ClosingResponse }): void {
    if (this.calls >= this.max) {
      this.adapterHost.httpAdapter.setHeader(response, HttpHeaders.retryAfter, '1');
      throw this.overloaded;
    }
    this.calls++;
    // The Node response of either adapter ('close' comes once, after the end or an abort).
    (response.raw ?? response).on('close', this.leave);
  }
}
