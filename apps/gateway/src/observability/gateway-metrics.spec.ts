import { plainToInstance } from 'class-transformer';
import { GatewayConfig } from '../config/gateway-config';
import type { BrokerHealth } from './broker-health';
import { GatewayMetrics, MAX_OUTCOMES_PER_FUNCTION } from './gateway-metrics';

function metricsFor(rules: Record<string, unknown>, connected = true, inFlight = { count: 0 }): GatewayMetrics {
  const config = plainToInstance(GatewayConfig, { id: 'demo', modules: { functions: { rules } } }, { exposeDefaultValues: true });
  return new GatewayMetrics(config, { connected } as BrokerHealth, inFlight);
}

/** The label sets of one series in a scrape. */
function seriesLines(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('GatewayMetrics', () => {
  const rules = { users: { create: { rule: 'allow' }, default: { rule: 'deny' } }, default: { default: { rule: 'deny' } } };

  it('labels calls with the names the rules use, and `_other` for any other service or function', async () => {
    const metrics = metricsFor(rules);
    metrics.seriesOf('users', 'create').count(200, 'OK');
    metrics.seriesOf('users', 'delete').count(403, 'FORBIDDEN');
    metrics.seriesOf('orders', 'list').count(403, 'FORBIDDEN');
    metrics.seriesOf(undefined, undefined).count(400, 'BAD_REQUEST');
    const { text } = await metrics.render();
    expect(text).toContain('mesh_gateway_calls_total{service="users",func="create",status="200",code="OK"} 1');
    expect(text).toContain('mesh_gateway_calls_total{service="users",func="_other",status="403",code="FORBIDDEN"} 1');
    expect(text).toContain('mesh_gateway_calls_total{service="_other",func="_other",status="403",code="FORBIDDEN"} 1');
    expect(text).toContain('mesh_gateway_calls_total{service="_other",func="_other",status="400",code="BAD_REQUEST"} 1');
  });

  it('keeps the label set bounded under a flood of random service, function and code names', async () => {
    const metrics = metricsFor(rules);
    const start = (await metrics.render()).text;
    const before = seriesLines(start, 'mesh_gateway_calls_total').length;
    for (let i = 0; i < 5000; i++) {
      const series = metrics.seriesOf(`svc${Math.random().toString(36).slice(2)}`, `fn${i}`);
      series.count(403, 'FORBIDDEN');
      metrics.seriesOf('users', `fn${i}`).count(403, 'FORBIDDEN');
    }
    for (let i = 0; i < 1000; i++) metrics.seriesOf('users', 'create').count(400 + (i % 200), `CODE_${i}`);
    const { text } = await metrics.render();
    const lines = seriesLines(text, 'mesh_gateway_calls_total');
    // users.create: at most MAX_OUTCOMES_PER_FUNCTION pairs plus one overflow series; the flood adds two.
    expect(lines.length).toBeLessThanOrEqual(before + MAX_OUTCOMES_PER_FUNCTION + 2);
    expect(text).toContain('mesh_gateway_calls_total{service="_other",func="_other",status="403",code="FORBIDDEN"} 5000');
    expect(text).toContain('mesh_gateway_calls_total{service="users",func="_other",status="403",code="FORBIDDEN"} 5000');
    expect(text).toMatch(/mesh_gateway_calls_total\{service="users",func="create",status="_other",code="_other"\} \d+/);
    expect(text).not.toMatch(/svc[a-z0-9]+/);
    // (service, func) pairs: the rules' own (users.create, users.default, default.default), each
    // service's `_other`, and (_other, _other); the flood adds none.
    expect(seriesLines(text, 'mesh_gateway_call_duration_seconds_count')).toHaveLength(6);
    expect(seriesLines(start, 'mesh_gateway_call_duration_seconds_count')).toHaveLength(6);
  });

  it('follows the rules on reload, keeping the counts of the pairs that stay', async () => {
    const metrics = metricsFor(rules);
    metrics.seriesOf('users', 'create').count(200, 'OK');
    metrics.useRules({ users: { create: { rule: 'allow' } }, orders: { list: { rule: 'allow' } } });
    metrics.seriesOf('users', 'create').count(200, 'OK');
    metrics.seriesOf('orders', 'list').count(200, 'OK');
    const { text } = await metrics.render();
    expect(text).toContain('mesh_gateway_calls_total{service="users",func="create",status="200",code="OK"} 2');
    expect(text).toContain('mesh_gateway_calls_total{service="orders",func="list",status="200",code="OK"} 1');
  });

  it('serves the in-flight and broker gauges and the default process metrics, also to concurrent scrapes', async () => {
    const inFlight = { count: 0 };
    const metrics = metricsFor(rules, false, inFlight);
    for (let i = 0; i < 3; i++) inFlight.count++;
    const scrapes = await Promise.all(Array.from({ length: 25 }, () => metrics.render()));
    for (const { text, contentType } of scrapes) {
      expect(contentType).toMatch(/^text\/plain/);
      expect(text).toContain('mesh_gateway_calls_in_flight 3');
      expect(text).toContain('mesh_broker_connected 0');
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toContain('nodejs_eventloop_lag_seconds');
    }
    expect(new Set(scrapes.map(({ text }) => seriesLines(text, 'mesh_gateway_calls_total').join('\n'))).size).toBe(1);
  });
});
