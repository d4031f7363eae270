import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults, Measurement, SystemResult } from './harness';

export const SECTION_HEADING = '## Gateway vs peers';

export interface Ratio {
  name: string;
  /** e.g. ">= 1.2" */
  target: string;
  value: number | null;
  status: 'pass' | 'fail' | 'n/a';
}

export interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  node: string;
  command: string;
}

/** `cpu`: all processes' CPU per call; `edgeCpu`: the measured process's alone (the gateway, moleculer-web, ...). */
type Metric = 'rps' | 'p50' | 'p99' | 'cpu' | 'edgeCpu';

function valueOf(m: Measurement | undefined, metric: Metric): number | undefined {
  if (metric === 'cpu') return m?.cpuUsPerCall?.total;
  // The measured process is the first of byProcess (harness.ts lists it first).
  if (metric === 'edgeCpu') return m?.cpuUsPerCall ? Object.values(m.cpuUsPerCall.byProcess)[0] : undefined;
  return m?.[metric];
}

function find(results: BenchResults, id: string, concurrency: number): Measurement | undefined {
  const system = results.systems.find((s) => s.id === id);
  if (!system || system.status !== 'ok') return undefined;
  return system.measurements.find((m) => m.concurrency === concurrency);
}

/** The acceptance ratios of the issue, at the highest concurrency run (64) and at the lowest (1). */
export function computeRatios(results: BenchResults): Ratio[] {
  const high = Math.max(...results.options.concurrency);
  const low = Math.min(...results.options.concurrency);
  const quotient = (a: string, b: string, c: number, metric: Metric) => {
    const x = valueOf(find(results, a, c), metric);
    const y = valueOf(find(results, b, c), metric);
    return x !== undefined && y !== undefined && y > 0 ? x / y : null;
  };
  const ratio = (name: string, a: string, b: string, c: number, metric: Metric, min: number): Ratio => {
    const value = quotient(a, b, c, metric);
    return { name: `${name} @c${c}`, target: `>= ${min}`, value, status: value === null ? 'n/a' : value >= min ? 'pass' : 'fail' };
  };
  const notAbove = (name: string, a: string, b: string, c: number, metric: Metric, max = 1): Ratio => {
    const value = quotient(a, b, c, metric);
    return { name: `${name} @c${c}`, target: `<= ${max}`, value, status: value === null ? 'n/a' : value <= max ? 'pass' : 'fail' };
  };
  return [
    // The gateway as `nest-mesh gateway --config` starts it, nothing chosen, against moleculer-web.
    ratio('req/s (default) / (c) moleculer', 'default', 'c', high, 'rps', 1.5),
    notAbove('p99 (default) / p99 (c) moleculer', 'default', 'c', high, 'p99'),
    notAbove('p50 (default) / p50 (c) moleculer', 'default', 'c', low, 'p50'),
    // The production profile (p) and the embedded broker against moleculer-web (docs: bench/RESULTS.md).
    ratio('req/s (p) production / (c) moleculer', 'p', 'c', high, 'rps', 1.2),
    notAbove('p99 (p) production / p99 (c) moleculer', 'p', 'c', high, 'p99'),
    notAbove('p50 (p) production / p50 (c) moleculer', 'p', 'c', low, 'p50', 0.9),
    notAbove('CPU per call, all processes, (p) / (c)', 'p', 'c', high, 'cpu', 0.9),
    notAbove('CPU per call, gateway (p) / moleculer-web (c)', 'p', 'c', low, 'edgeCpu'),
    ratio('req/s (a, fastify) / (c) moleculer', 'a-fastify', 'c', high, 'rps', 1.5),
    // Features on against off, same run: identities + Mesh-Token verified; CORS + JSON call logs.
    ratio('req/s (a-trust) identities + Mesh-Token / (a, fastify)', 'a-trust', 'a-fastify', high, 'rps', 0.9),
    ratio('req/s (a-edge) CORS + JSON call logs / (a, fastify)', 'a-edge', 'a-fastify', high, 'rps', 0.9),
    notAbove('p50 (a, fastify) / p50 (c) moleculer', 'a-fastify', 'c', low, 'p50', 0.8),
    notAbove('p99 (a, fastify) / p99 (c) moleculer', 'a-fastify', 'c', high, 'p99'),
    ratio('req/s (a, fastify) / (e) node:http+NATS', 'a-fastify', 'e', high, 'rps', 0.8),
    ratio('req/s (a, express) / (d, express)', 'a-express', 'd-express', high, 'rps', 0.9),
    ratio('req/s (a, fastify) embedded / (b, fastify) nats-server', 'a-fastify', 'b-fastify', high, 'rps', 0.8),
    ratio('req/s (a, express) embedded / (b, express) nats-server', 'a-express', 'b-express', high, 'rps', 0.8),
    ratio("req/s (a') rules+token / (a, fastify)", "a'", 'a-fastify', high, 'rps', 0.9),
  ];
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The `## Gateway vs peers` section: machine, command, the figures table and the ratios. */
export function renderSection(results: BenchResults, ratios: Ratio[], machine: Machine): string {
  const lines = [
    SECTION_HEADING,
    '',
    `Date: ${machine.date} · machine: ${machine.nproc} CPUs (${machine.cpu}) · node ${machine.node}`,
    `Command: \`${machine.command}\` (${results.options.duration} s measured after ${results.options.warmup} s of warm-up,` +
      ` per system and concurrency; keep-alive; ~100-byte JSON params echoed; load from a separate process;` +
      ` latencies per response, in ms${roundsNote(results.options.rounds ?? 1)}).`,
    '',
    '| system | concurrency | req/s | p50 ms | p99 ms | errors | CPU µs/call, all (per process) | peak RSS MiB (process) |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const system of results.systems) lines.push(...rows(system));
  lines.push('', '| ratio | target | value | result |', '|---|---|---:|---|');
  for (const r of ratios) lines.push(`| ${r.name} | ${r.target} | ${r.value === null ? 'n/a' : r.value.toFixed(2)} | ${r.status} |`);
  lines.push(
    '',
    'Systems: (a) HTTP -> gateway -> embedded broker -> one Nest service; (a\') the same on fastify with',
    '`and(authenticated, match args.auth.role == admin)` and an HS256 token on every call; (a-trust) (a, fastify)',
    'with the service logged in as a mesh identity and verifying every Mesh-Token; (a-edge) (a, fastify) with CORS',
    '(an Origin on every call) and `log: {format: json, calls: true}`; (p) production:',
    'fastify through nats-server, the rule and token of (a\'), Mesh-Token verified by the service, metrics, the',
    'tracing API without an SDK, CORS and a rate limit never reached, call logs off (every gateway signs its calls',
    'and keeps metrics; Mesh-Tokens are reused per end-user token and function); (b) as (a) through',
    'nats-server; (c) moleculer-web 0.10 -> moleculer 0.14, NATS transporter, same nats-server; (d) a plain',
    'Nest controller; (e) bare node:http -> `nc.request` -> nats-server -> echo responder; (f) nats.js',
    'request-reply, no HTTP. Everything, load included, shares the same CPUs.',
    '',
    'Reading the figures: at concurrency 64 each single-threaded HTTP server (moleculer-web, plain Nest, the',
    'node:http forwarder, the gateway\'s main thread) is the busiest part of its system, near one CPU; the load',
    'generator takes ~0.2 CPU. The gateway can pass plain Nest (d) because its embedded broker runs on a',
    'second thread and it sends the reply JSON as it came. Peak RSS is VmHWM at the end, start-up included.',
    'Consecutive runs on a shared machine differ by up to ~30 % per row; compare rows of one run.',
  );
  return lines.join('\n') + '\n';
}

function roundsNote(rounds: number): string {
  return rounds > 1 ? `; ${rounds} rounds, the systems taking turns, each figure the median of its rounds` : '';
}

function rows(system: SystemResult): string[] {
  const name = `${system.group === system.id ? `(${system.id})` : `(${system.group}) \`${system.id}\``} ${system.label}`;
  if (system.status !== 'ok') return [`| ${name} | - | ${system.status}${system.reason ? ` (${system.reason.split('\n')[0].slice(0, 160)})` : ''} | | | | | |`];
  const rss = system.peakRssMiB === null ? '-' : `${fmt(system.peakRssMiB, 1)} (${system.measured})`;
  return system.measurements.map(
    (m) => `| ${name} | ${m.concurrency} | ${fmt(m.rps)} | ${fmt(m.p50, 3)} | ${fmt(m.p99, 3)} | ${m.errors} | ${cpuCell(m)} | ${rss} |`,
  );
}

function cpuCell(m: Measurement): string {
  if (!m.cpuUsPerCall) return '-';
  const parts = Object.entries(m.cpuUsPerCall.byProcess).map(([role, us]) => `${role} ${fmt(us)}`);
  return `${fmt(m.cpuUsPerCall.total)} (${parts.join(', ')})`;
}

/**
 * Replaces the `heading` section (default `## Gateway vs peers`) of RESULTS.md (up to the next `## ` heading), or appends
 * it; every other section (e.g. `## Embedded broker vs nats-server`) is kept as it is.
 */
export function writeResultsMarkdown(path: string, section: string, heading = SECTION_HEADING): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# nest-mesh benchmarks\n';
  const lines = current.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  let next: string;
  if (start < 0) {
    next = current.replace(/\n*$/, '\n\n') + section;
  } else {
    let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
    if (end < 0) end = lines.length;
    const before = lines.slice(0, start).join('\n');
    const after = lines.slice(end).join('\n');
    next = (before ? before.replace(/\n*$/, '\n\n') : '') + section + (after ? '\n' + after : '');
  }
  writeFileSync(path, next.replace(/\n*$/, '\n'));
}

export function writeResultsJson(path: string, results: BenchResults, ratios: Ratio[], machine: Machine): void {
  writeFileSync(path, JSON.stringify({ machine, ...results, ratios }, null, 2) + '\n');
}
