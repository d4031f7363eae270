import { Injectable } from '@nestjs/common';

/**
 * The calls the gateway has under way, counted once: from the call's first step (InFlightGuard, in
 * limits/) until its response is finished or its connection is gone. InFlightGuard keeps it and
 * bounds it with `maxInFlight`; GatewayMetrics reports it as `mesh_gateway_calls_in_flight`, so the
 * gauge shows exactly what `maxInFlight` is compared with (docs/operations.md#overload-maxinflight).
 */
@Injectable()
export class CallsInFlight {
  private calls = 0;

  get count(): number {
    return this.calls;
  }

  enter(): void {
    this.calls++;
  }

  /** Bound, so that it can be a response's 'close' listener as it is (no closure per call). */
  readonly leave = (): void => {
    this.calls--;
  };
}
