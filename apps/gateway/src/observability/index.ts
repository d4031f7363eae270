export { ObservabilityModule } from './observability.module';
export { Readiness } from './readiness';
export { GatewayMetrics } from './gateway-metrics';
export { ManagementServer } from './management-server';
export { gatewayLogger } from './gateway-logger';
