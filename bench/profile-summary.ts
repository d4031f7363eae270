/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`, e.g. from `npm run bench -- --profile a-fastify`):
 * the functions with the most self time (file:line, 1-based), self time by package, and the
 * functions of our own code (apps/, libs/, dist/) with the most inclusive time (self + callees).
 *
 *   npx ts-node --transpile-only bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const root = relative(process.cwd(), '.') || '.';

function where(frame: ProfileNode['callFrame']): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return '(native)';
  const path = url.startsWith('/') ? relative(process.cwd(), url) : url;
  return `${path}:${frame.lineNumber + 1}`;
}

function packageOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  return relative(process.cwd(), url.replace(/^file:\/\//, ''));
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 30);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const key = `${frame.functionName || '(anonymous)'}  ${where(frame)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time);
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (!/\/(apps|libs|dist)\//.test(frame.url) || /node_modules/.test(frame.url)) continue;
      seen.add(`${frame.functionName || '(anonymous)'}  ${where(frame)}`);
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)} %`;
  process.stdout.write(`${file} (${root}): ${(total / 1e6).toFixed(1)} s sampled, ${((100 * idle) / total).toFixed(1)} % idle; shares below are of busy time\n\n`);
  process.stdout.write('self time by package / file:\n');
  for (const [pkg, t] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`${pct(t)}  ${pkg}\n`);
  process.stdout.write(`\ntop ${top} functions by self time:\n`);
  for (const [key, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(t)}  ${key}\n`);
  process.stdout.write(`\nour code, top ${top} by inclusive time:\n`);
  for (const [key, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(t)}  ${key}\n`);
}

main();
