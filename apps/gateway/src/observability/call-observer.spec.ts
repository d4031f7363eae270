import { ConsoleLogger, Logger } from '@nestjs/common';
import { writeConfig } from '../config/config-fixtures.spec-helper';
import { ConfigReloader } from '../config/config-reloader';
import { parseConfig } from '../config/load-config';
import type { BrokerHealth } from './broker-health';
import { CallObserver } from './call-observer';
import { GatewayMetrics } from './gateway-metrics';

const RULES = { users: { create: { rule: 'allow' } } };

function setup(log: object = {}) {
  const config = parseConfig(JSON.stringify({ id: 'demo', log, modules: { functions: { rules: RULES } } }), {});
  const metrics = new GatewayMetrics(config, { connected: true } as BrokerHealth, { count: 0 });
  return { config, metrics, observer: new CallObserver(metrics, config) };
}

const request = (service?: string, func?: string, headers: Record<string, string> = {}) => ({
  headers: { 'x-request-id': 'req-1', ...headers },
  method: 'POST',
  url: `/v1/api/demo/functions/${service}/${func}`,
  params: service === undefined ? undefined : { project: 'demo', service, func },
});

async function sampleOf(metrics: GatewayMetrics, line: string): Promise<number | undefined> {
  const found = (await metrics.render()).text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('CallObserver', () => {
  afterEach(() => Logger.overrideLogger(new ConsoleLogger()));

  it('counts a call once, with its duration', async () => {
    const { metrics, observer } = setup();
    const call = observer.begin(request('users', 'create'));
    expect(call.trace).toBeUndefined();
    observer.end(call, 200, 'OK', 'req-1');
    observer.end(call, 500, 'INTERNAL', 'req-1'); // a second answer to the same call is not a second call
    expect(await sampleOf(metrics, 'mesh_gateway_calls_total{service="users",func="create",status="200",code="OK"}')).toBe(1);
    expect(await sampleOf(metrics, 'mesh_gateway_calls_total{service="users",func="create",status="500",code="INTERNAL"}')).toBeUndefined();
    expect(await sampleOf(metrics, 'mesh_gateway_call_duration_seconds_count{service="users",func="create"}')).toBe(1);
  });

  it('counts a call refused before it began, without a duration', async () => {
    const { metrics, observer } = setup();
    observer.refused(request('users', 'create'), 503, 'OVERLOADED', 'req-1');
    expect(await sampleOf(metrics, 'mesh_gateway_calls_total{service="users",func="create",status="503",code="OVERLOADED"}')).toBe(1);
    expect(await sampleOf(metrics, 'mesh_gateway_call_duration_seconds_count{service="users",func="create"}')).toBe(0);
  });

  it('without an SDK, hands the caller\'s W3C headers on', () => {
    const { observer } = setup();
    const call = observer.begin(request('users', 'create', { traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01' }));
    expect(call.trace).toBeDefined();
  });

  it('writes one call line with log.calls, without params or headers (the last ones at shutdown)', () => {
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((text: string | Uint8Array) => written.push(String(text)) > 0);
    try {
      const { observer } = setup({ format: 'json', calls: true });
      const call = { ...request('users', 'create', { authorization: 'Bearer abc.def.ghi' }), body: { params: { password: 'hunter2' } } };
      observer.end(observer.begin(call), 403, 'FORBIDDEN', 'req-1');
      observer.refused(request('bad name', 'x'), 400, 'BAD_REQUEST', 'req-2');
      observer.onApplicationShutdown();
    } finally {
      stdout.mockRestore();
    }
    const lines = written.join('').trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => line.message)).toEqual([
      { requestId: 'req-1', service: 'users', func: 'create', status: 403, code: 'FORBIDDEN', ms: expect.any(Number) },
      expect.objectContaining({ service: '-', func: 'x', status: 400 }),
    ]);
    expect(lines[0]).toMatchObject({ level: 'log', context: 'Calls' });
    expect(written.join('')).not.toMatch(/hunter2|abc\.def/);
  });

  it('follows the rules of a reloaded config', async () => {
    const { config, metrics } = setup();
    const path = writeConfig({ id: 'demo', modules: { functions: { rules: { orders: { list: { rule: 'allow' } } } } } });
    Logger.overrideLogger(false);
    expect(await new ConfigReloader(config, [metrics]).reload(path, {})).toBe(true);
    metrics.seriesOf('orders', 'list').count(200, 'OK');
    expect(await sampleOf(metrics, 'mesh_gateway_calls_total{service="orders",func="list",status="200",code="OK"}')).toBe(1);
    expect(metrics.seriesOf('users', 'create').service).toBe('_other');
  });
});
