export { ObservabilityModule } from './observability.module';
export { Readiness, READINESS_CHECK_TIMEOUT_MS } from './readiness';
export type { ProbeAnswer } from './readiness';
export { CallObserver } from './call-observer';
export { GatewayMetrics, GatewayMetricNames, OTHER } from './gateway-metrics';
export { ManagementServer } from './management-server';
export { gatewayLogger } from './gateway-logger';
