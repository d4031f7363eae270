import { EventingMetrics } from './eventing-metrics';

describe('EventingMetrics', () => {
  it('counts queued events by known type (others as _other) and deliveries by trigger and outcome', () => {
    const metrics = new EventingMetrics(new Set(['user.signup']));
    metrics.queued('user.signup');
    metrics.queued('user.signup');
    metrics.queued('made.up.1');
    metrics.queued('made.up.2');
    metrics.delivered('welcome', 'ok');
    metrics.delivered('welcome', 'retry');
    metrics.delivered('welcome', 'ok');
    const text = metrics.text({ pending: 3, dead: 1 });
    expect(text).toContain('mesh_events_queued_total{type="user.signup"} 2');
    expect(text).toContain('mesh_events_queued_total{type="_other"} 2');
    expect(text).toContain('mesh_event_deliveries_total{trigger="welcome",outcome="ok"} 2');
    expect(text).toContain('mesh_event_deliveries_total{trigger="welcome",outcome="retry"} 1');
    expect(text).toContain('mesh_events_pending 3');
    expect(text).toContain('mesh_events_dead 1');
    expect(text).toContain('# TYPE mesh_events_queued_total counter');
  });
});
