import { Registry } from 'prom-client';
import { EventingMetrics } from './eventing-metrics';

describe('EventingMetrics', () => {
  it('counts queued events by known type (others as _other), deliveries by trigger and outcome, and reads the gauges from the store', async () => {
    const registry = new Registry();
    const counts = jest.fn(async () => ({ pending: 3, dead: 1 }));
    const metrics = new EventingMetrics(new Set(['user.signup']), registry, counts);
    metrics.queued('user.signup');
    metrics.queued('user.signup');
    metrics.queued('made.up.1');
    metrics.queued('made.up.2');
    metrics.delivered('welcome', 'ok');
    metrics.delivered('welcome', 'retry');
    metrics.delivered('welcome', 'ok');
    const text = await registry.metrics();
    expect(text).toContain('mesh_events_queued_total{type="user.signup"} 2');
    expect(text).toContain('mesh_events_queued_total{type="_other"} 2');
    expect(text).toContain('mesh_event_deliveries_total{trigger="welcome",outcome="ok"} 2');
    expect(text).toContain('mesh_event_deliveries_total{trigger="welcome",outcome="retry"} 1');
    expect(text).toContain('mesh_events_pending 3');
    expect(text).toContain('mesh_events_dead 1');
    expect(text).toContain('# TYPE mesh_events_queued_total counter');
    expect(counts).toHaveBeenCalledTimes(1); // one store read per scrape
  });

  it('reads 0 when the store cannot be read, without failing the scrape', async () => {
    const registry = new Registry();
    new EventingMetrics(new Set(), registry, async () => Promise.reject(new Error('down')));
    expect(await registry.metrics()).toContain('mesh_events_pending 0');
  });
});
