import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MeshCodes, MeshError } from 'nest-mesh';
import type { ConfigReloadable } from '../config/config-reloadable';
import { GatewayConfig } from '../config/gateway-config';
import { CallsInFlight } from '../observability/calls-in-flight';
import { RETRY_AFTER_HEADER } from './limit-headers';

interface ClosingResponse {
  on(event: 'close', listener: () => void): unknown;
}

/**
 * First step of every call: bounds the calls under way at once (`modules.functions.maxInFlight`).
 * Beyond it the call is answered at once with 503 OVERLOADED and Retry-After, never queued. A call
 * counts (in CallsInFlight, which the in-flight gauge reads too) from here until its response is
 * finished or its connection is gone.
 */
@Injectable()
export class InFlightGuard implements CanActivate, ConfigReloadable {
  private max: number;
  private readonly overloaded = new MeshError(503, 'the gateway has too many calls under way; retry later', MeshCodes.OVERLOADED);

  constructor(
    @Inject(GatewayConfig) config: GatewayConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly calls: CallsInFlight,
  ) {
    this.max = config.modules.functions.maxInFlight;
  }

  /** A new bound, from a config reload; calls already under way finish. */
  applyConfig(next: GatewayConfig): void {
    this.max = next.modules.functions.maxInFlight;
  }

  canActivate(context: ExecutionContext): boolean {
    const response = context.switchToHttp().getResponse<ClosingResponse & { raw?: ClosingResponse }>();
    if (this.calls.count >= this.max) {
      this.adapterHost.httpAdapter.setHeader(response, RETRY_AFTER_HEADER, '1');
      throw this.overloaded;
    }
    this.calls.enter();
    // The Node response of either adapter ('close' comes once, after the end or an abort).
    (response.raw ?? response).on('close', this.calls.leave);
    return true;
  }
}
