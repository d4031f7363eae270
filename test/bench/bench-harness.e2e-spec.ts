import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchResults, Measurement, medianOf, runBench, SystemResult } from '../../bench/harness';
import { computeRatios } from '../../bench/report';
import { SPLIT_SYSTEMS } from '../../bench/systems';
import { TestProcess } from '../support/child';
import { describeWithNatsServer } from '../support/nats-server';

/** The benchmark harness's options, each on system f (the quickest): --json, rounds, profiles; and medianOf. */
describeWithNatsServer('npm run bench -- --json', () => {
  it('writes the results to the named file, and with --no-write nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-bench-json-'));
    const resultsMd = join(__dirname, '../../bench/RESULTS.md');
    const before = readFileSync(resultsMd, 'utf8');
    try {
      const out = join(dir, 'out.json');
      const run = await TestProcess.run(
        'bench',
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'bench/run.ts', '--only', 'f', '--duration', '0.5', '--warmup', '0', '--concurrency', '1', '--no-write', '--json', out],
        { timeoutMs: 60_000 },
      );
      expect(run.code).toBe(0);
      const written = JSON.parse(readFileSync(out, 'utf8'));
      expect(written.systems.map((s: { id: string }) => s.id)).toEqual(['f']);
      expect(written.machine.command).toContain('--json');
      expect(Array.isArray(written.ratios)).toBe(true);
      expect(readFileSync(resultsMd, 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describeWithNatsServer('bench harness rounds', () => {
  it('runs each system once per round and reports the median of the rounds', async () => {
    const results = await runBench({ duration: 0.5, warmup: 0, concurrency: [1], only: ['f'], rounds: 3 });
    const [f] = results.systems;
    expect(f.status).toBe('ok');
    expect(f.rounds).toHaveLength(3);
    const runs = f.rounds!.map((round) => round[0]);
    const middle = (pick: (m: (typeof runs)[number]) => number) => runs.map(pick).sort((a, b) => a - b)[1];
    expect(f.measurements).toEqual([
      expect.objectContaining({ concurrency: 1, rps: middle((m) => m.rps), p50: middle((m) => m.p50), p99: middle((m) => m.p99), errors: 0 }),
    ]);
  }, 60_000);
});

describeWithNatsServer('bench systems run only when named (--only a-split,p-split)', () => {
  it('answer correctly; p-bare and b-bare have a bare responder in place of the Nest service', async () => {
    const results = await runBench({ duration: 0.5, warmup: 0, concurrency: [1], only: ['a-split', 'p-split'] });
    expect(results.systems.map((s) => s.id)).toEqual(SPLIT_SYSTEMS.map((s) => s.id));
    for (const system of results.systems) {
      expect({ id: system.id, status: system.status, reason: system.reason }).toEqual({ id: system.id, status: 'ok', reason: undefined });
      expect(system.measurements[0]).toEqual(expect.objectContaining({ concurrency: 1, errors: 0 }));
      expect(system.measurements[0].requests).toBeGreaterThan(0);
    }
    const roles = (id: string) => Object.keys(results.systems.find((s) => s.id === id)!.measurements[0].cpuUsPerCall?.byProcess ?? {});
    expect(roles('p-bare')).toEqual(['gateway', 'nats-server', 'bare responder']);
    expect(roles('b-bare')).toEqual(['gateway', 'nats-server', 'bare responder']);
  }, 120_000);
});

describeWithNatsServer('bench harness profiles', () => {
  it.each([
    ['cpu', /\.cpuprofile$/, /s sampled/],
    ['alloc', /^Alloc\.\d+\.heapprofile$/, /MiB allocated \(sampled\)/],
  ] as const)('%s: profiles the measured process, and profile-summary reads the profile', async (kind, file, summary) => {
    const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-profile-'));
    try {
      const results = await runBench({ duration: 0.5, warmup: 0, concurrency: [1], only: ['f'], profile: { system: 'f', kind, dir } });
      expect(results.systems[0].status).toBe('ok');
      const written = readdirSync(dir).filter((name) => file.test(name));
      expect(written.length).toBeGreaterThan(0);
      const run = await TestProcess.run('profile-summary', process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/profile-summary.ts', join(dir, written[0]), '5'], { timeoutMs: 30_000 });
      expect(run.code).toBe(0);
      expect(run.output).toMatch(summary);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('medianOf', () => {
  const run = (rps: number, p50: number, p99: number, errors = 0) => ({ concurrency: 64, rps, p50, p99, errors, requests: rps, seconds: 1 });

  it('takes the median of each figure on its own, and sums errors, requests and seconds', () => {
    expect(medianOf(64, [run(100, 5, 9), run(300, 1, 20, 2), run(200, 3, 10)])).toEqual({ concurrency: 64, rps: 200, p50: 3, p99: 10, errors: 2, requests: 600, seconds: 3 });
  });

  it('averages the two middle values of an even number of rounds', () => {
    expect(medianOf(64, [run(100, 1, 10), run(200, 3, 30)])).toMatchObject({ rps: 150, p50: 2, p99: 20 });
  });
});

describe('bench ratios', () => {
  const measurement = (concurrency: number, rps: number, p50: number, gatewayCpu: number, serviceCpu: number): Measurement => ({
    concurrency,
    rps,
    p50,
    p99: p50 * 2,
    errors: 0,
    requests: rps,
    seconds: 1,
    cpuUsPerCall: { total: gatewayCpu + serviceCpu, byProcess: { edge: gatewayCpu, service: serviceCpu } },
  });
  const system = (id: string, measurements: Measurement[]): SystemResult => ({ id, group: id, label: id, status: 'ok', measurements, peakRssMiB: 0 });

  it('compares the default gateway with moleculer-web, and the edge process alone by its CPU per call at concurrency 1', () => {
    const results: BenchResults = {
      options: { duration: 1, warmup: 0, concurrency: [1, 64] },
      startedAt: '',
      systems: [
        system('default', [measurement(1, 1000, 1, 0, 0), measurement(64, 3000, 10, 0, 0)]),
        system('p', [measurement(1, 1000, 1, 500, 900), measurement(64, 3000, 10, 100, 100)]),
        system('c', [measurement(1, 1000, 2, 600, 100), measurement(64, 2000, 20, 100, 100)]),
      ],
    };
    const byName = new Map(computeRatios(results).map((r) => [r.name, r]));
    expect(byName.get('req/s (default) / (c) moleculer @c64')).toMatchObject({ value: 1.5, status: 'pass' });
    expect(byName.get('p50 (default) / p50 (c) moleculer @c1')).toMatchObject({ value: 0.5, status: 'pass' });
    // The gateway's 500 µs against moleculer-web's 600, though (p)'s service spends more than all of (c).
    expect(byName.get('CPU per call, gateway (p) / moleculer-web (c) @c1')?.value).toBeCloseTo(500 / 600);
    expect(byName.get('CPU per call, gateway (p) / moleculer-web (c) @c1')?.status).toBe('pass');
    expect(byName.get('req/s (a, express) / (d, express) @c64')).toMatchObject({ value: null, status: 'n/a' });
  });
});
