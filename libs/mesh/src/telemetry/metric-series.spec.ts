import { Counter, Registry } from 'prom-client';
import { PreparedCounter, PreparedHistogram, registerPrepared } from './metric-series';
import { FunctionMetrics } from './metrics';

describe('prepared metrics', () => {
  it('a counter child counts and the registry prints it in the Prometheus text format', async () => {
    const registry = new Registry();
    const calls = registerPrepared(registry, new PreparedCounter('things_total', 'Things', ['kind']));
    const apples = calls.child('apple');
    apples.inc();
    apples.inc();
    calls.child('pear');
    expect(calls.child('apple')).toBe(apples);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE things_total counter');
    expect(text).toContain('things_total{kind="apple"} 2');
    expect(text).toContain('things_total{kind="pear"} 0');
  });

  it('a histogram child fills cumulative buckets, sum and count', async () => {
    const registry = new Registry();
    const duration = registerPrepared(registry, new PreparedHistogram('wait_seconds', 'Waits', ['op'], [0.1, 1]));
    const child = duration.child('get');
    for (const value of [0.05, 0.1, 0.5, 3]) child.observe(value);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE wait_seconds histogram');
    expect(text).toContain('wait_seconds_bucket{op="get",le="0.1"} 2');
    expect(text).toContain('wait_seconds_bucket{op="get",le="1"} 3');
    expect(text).toContain('wait_seconds_bucket{op="get",le="+Inf"} 4');
    expect(text).toContain('wait_seconds_sum{op="get"} 3.65');
    expect(text).toContain('wait_seconds_count{op="get"} 4');
  });

  it('shares a metric already registered by another server, and refuses a different metric of the same name', () => {
    const registry = new Registry();
    const first = registerPrepared(registry, new PreparedCounter('shared_total', 'Shared', ['a']));
    expect(registerPrepared(registry, new PreparedCounter('shared_total', 'Shared', ['a']))).toBe(first);
    new Counter({ name: 'theirs_total', help: 'Theirs', registers: [registry] });
    expect(() => registerPrepared(registry, new PreparedCounter('theirs_total', 'Mine', ['a']))).toThrow(/already been registered/);
  });

  it('FunctionMetrics records calls by status and duration, into the given registry', async () => {
    const registry = new Registry();
    const series = new FunctionMetrics(registry).forFunction('users', 'create');
    series.record(200, 12);
    series.record(200, 3);
    series.record(404, 1);
    series.record(404, 1);
    series.record(500, 2000);
    const text = await registry.metrics();
    expect(text).toContain('mesh_function_calls_total{service="users",func="create",status="200"} 2');
    expect(text).toContain('mesh_function_calls_total{service="users",func="create",status="404"} 2');
    expect(text).toContain('mesh_function_calls_total{service="users",func="create",status="500"} 1');
    expect(text).toContain('mesh_function_duration_seconds_count{service="users",func="create"} 5');
    expect(text).toContain('mesh_function_duration_seconds_bucket{service="users",func="create",le="0.005"} 3');
  });
});
