import { Cron } from 'croner';
import type { EventStore } from './event-store';
import type { NewEvent } from './event';
import { latestMissed, occurrenceId, Scheduler, scheduleError } from './scheduler';
import type { TriggerSpec } from './trigger';

const schedule = (pattern: string, tolerance = 3_600_000): TriggerSpec => ({
  name: 'tick',
  on: { kind: 'schedule', schedule: pattern, timezone: 'UTC', tolerance },
  call: { service: 'jobs', func: 'tick' },
  retries: 0,
  backoff: [],
  timeout: 1000,
});

function recordingStore(): { store: EventStore; events: NewEvent[]; ids: Set<string> } {
  const events: NewEvent[] = [];
  const ids = new Set<string>();
  const store = {
    enqueue: async (event: NewEvent) => {
      const duplicate = ids.has(event.id);
      ids.add(event.id);
      if (!duplicate) events.push(event);
      return { id: event.id, duplicate };
    },
  } as unknown as EventStore;
  return { store, events, ids };
}

describe('schedules', () => {
  it('checks patterns and timezones', () => {
    expect(scheduleError('0 3 * * *', 'UTC')).toBeUndefined();
    expect(scheduleError('*/10 * * * * *', 'Europe/Berlin')).toBeUndefined();
    expect(scheduleError('0 3 * *', 'UTC')).toMatch(/five or six/);
    expect(scheduleError('61 * * * *', 'UTC')).toMatch(/minute/);
    expect(scheduleError('0 3 * * *', 'Mars/Base')).toMatch(/unknown timezone/);
  });

  it('names an occurrence <trigger>:<ISO time>', () => {
    expect(occurrenceId('nightly', new Date(Date.UTC(2026, 0, 2, 3)))).toBe('nightly:2026-01-02T03:00:00.000Z');
  });

  it('finds only the latest missed occurrence within the tolerance', () => {
    const cron = new Cron('0 * * * *', { timezone: 'UTC', paused: true });
    const now = Date.UTC(2026, 0, 1, 10, 30);
    expect(latestMissed(cron, now, 3_600_000)?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(latestMissed(cron, now, 20 * 60_000)).toBeUndefined(); // 30 min old > 20 min tolerance
    expect(latestMissed(cron, now, 0)).toBeUndefined();
  });

  it('catches up once at start-up (not a burst), and a second gateway adds nothing', async () => {
    const { store, events } = recordingStore();
    const now = Date.UTC(2026, 0, 1, 10, 30, 30);
    const a = new Scheduler(store, [schedule('* * * * *')]);
    const b = new Scheduler(store, [schedule('* * * * *')]);
    await a.start(now);
    await b.start(now);
    a.stop();
    b.stop();
    expect(events.map((e) => e.id)).toEqual(['tick:2026-01-01T10:30:00.000Z']);
    expect(events[0]).toMatchObject({ source: 'schedule', type: 'tick', triggers: ['tick'], time: '2026-01-01T10:30:00.000Z' });
  });

  it('enqueues each occurrence as it comes', async () => {
    const { store, events } = recordingStore();
    const scheduler = new Scheduler(store, [schedule('* * * * * *', 0)]);
    await scheduler.start();
    await new Promise((r) => setTimeout(r, 2600));
    scheduler.stop();
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.length).toBeLessThanOrEqual(4);
    for (const e of events) expect(e.id).toBe(`tick:${e.time}`);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});
