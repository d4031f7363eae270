import { DynamicModule, Module } from '@nestjs/common';
import { GatewayConfig } from '../config/gateway-config';
import { InFlightLimit } from './in-flight-limit';
import { RateLimits } from './rate-limits';

/** The `maxInFlight` bound and the rate limits (docs/operations.md), for every room that needs them. */
@Module({})
export class LimitsModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: LimitsModule,
      global: true,
      providers: [{ provide: GatewayConfig, useValue: config }, InFlightLimit, RateLimits],
      exports: [InFlightLimit, RateLimits],
    };
  }
}
