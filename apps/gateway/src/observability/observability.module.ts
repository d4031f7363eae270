import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { GatewayConfig } from '../config/gateway-config';
import { BrokerHealth } from './broker-health';
import { CallObserver } from './call-observer';
import { CallsInFlight } from './calls-in-flight';
import { GatewayMetrics } from './gateway-metrics';
import { ManagementServer } from './management-server';
import { ObservabilityController } from './observability.controller';
import { Readiness } from './readiness';

/**
 * Probes, metrics, the call observer (metrics, spans and log lines of each call) and, with
 * `management.port`, the server that serves probes and metrics there instead of on the API port.
 * Global: any module of the gateway can inject Readiness (to add its store's check),
 * GatewayMetrics, CallsInFlight and CallObserver.
 */
@Module({})
export class ObservabilityModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: config.management === undefined ? [ObservabilityController] : [],
      providers: [{ provide: GatewayConfig, useValue: config }, Readiness, BrokerHealth, GatewayMetrics, CallsInFlight, CallObserver, ManagementServer],
      exports: [Readiness, GatewayMetrics, CallsInFlight, CallObserver, ManagementServer],
    };
  }
}
