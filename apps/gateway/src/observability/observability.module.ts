import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { GatewayConfig } from '../config/gateway-config';
import { BrokerHealth } from './broker-health';
import { CallObserver } from './call-observer';
import { GatewayMetrics } from './gateway-metrics';
import { ManagementServer } from './management-server';
import { ObservabilityController } from './observability.controller';
import { Probes } from './probes';
import { Readiness } from './readiness';

/**
 * Probes, metrics, the call observer (metrics, spans and log lines of each call) and, with
 * `management.port`, the server that serves probes and metrics there instead of on the API port.
 * Global: any module of the gateway can inject Readiness (to add its store's check),
 * GatewayMetrics and CallObserver.
 */
@Module({})
export class ObservabilityModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: config.management === undefined ? [ObservabilityController] : [],
      providers: [{ provide: GatewayConfig, useValue: config }, Readiness, BrokerHealth, GatewayMetrics, CallObserver, Probes, ManagementServer],
      exports: [Readiness, GatewayMetrics, CallObserver, ManagementServer],
    };
  }
}
