import { BenchResults, runBench } from '../../bench/harness';
import { SYSTEMS } from '../../bench/systems';
import { describeWithNatsServer } from '../support/nats-server';

/**
 * The benchmark harness, briefly: every system of `npm run bench` is started, checked and loaded for
 * ~0.5 s at concurrency 1 and 4, without warm-up. Only correctness is asserted (every system answered,
 * no errors), never speed. The harness's other options (--json, rounds, profiles) are in
 * bench-harness.e2e-spec.ts, apart so that each file stays well under a minute.
 */
describeWithNatsServer('bench harness (smoke)', () => {
  let results: BenchResults;

  beforeAll(async () => {
    results = await runBench({ duration: 0.5, warmup: 0, concurrency: [1, 4] });
  }, 120_000);

  it('runs every system', () => {
    expect(results.systems.map((s) => s.id)).toEqual(SYSTEMS.map((s) => s.id));
  });

  it.each(SYSTEMS.map((s) => [s.id]))('%s answered correctly at concurrency 1 and 4, without errors', (id) => {
    const system = results.systems.find((s) => s.id === id)!;
    expect({ id, status: system.status, reason: system.reason }).toEqual({ id, status: 'ok', reason: undefined });
    expect(system.measurements.map((m) => m.concurrency)).toEqual([1, 4]);
    for (const m of system.measurements) {
      expect(m.requests).toBeGreaterThan(0);
      expect(m.errors).toBe(0);
    }
    expect(system.peakRssMiB).toBeGreaterThan(0);
  });

  it('reports the CPU per call of every process of a system, and their sum', () => {
    const roles = (id: string) => Object.keys(results.systems.find((s) => s.id === id)!.measurements[0].cpuUsPerCall?.byProcess ?? {});
    expect(roles('c')).toEqual(['moleculer-web', 'nats-server', 'moleculer service']);
    expect(roles('a-fastify')).toEqual(['gateway', 'service']);
    expect(roles('b-fastify')).toEqual(['gateway', 'nats-server', 'service']);
    for (const system of results.systems) {
      for (const m of system.measurements) {
        const cpu = m.cpuUsPerCall!;
        expect(cpu.total).toBeGreaterThan(0);
        expect(cpu.total).toBeCloseTo(Object.values(cpu.byProcess).reduce((a, b) => a + b, 0), 6);
      }
    }
  });
});
