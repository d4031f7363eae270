/**
 * Summarizes a V8 profile from `npm run bench -- --profile <system>` (CPU, `.cpuprofile`) or
 * `--alloc-profile <system>` (allocations, `.heapprofile`): the functions with the most self
 * time or bytes (file:line, 1-based), the same by package, and the functions of our own code
 * (apps/, libs/, dist/) with the most inclusive time or bytes (self + callees).
 *
 *   npx ts-node --transpile-only bench/profile-summary.ts bench/profiles/<file> [top=30]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** A CPU profile (`node --cpu-prof`). */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A sampling heap profile (HeapProfiler.stopSampling). */
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** Either kind, as call tree nodes with a self weight (µs or bytes) and a parent. */
interface Tree {
  frames: Map<number, CallFrame>;
  parent: Map<number, number>;
  self: Map<number, number>;
  unit: 'cpu' | 'alloc';
}

function treeOf(json: CpuProfile | { head: HeapNode }): Tree {
  const frames = new Map<number, CallFrame>();
  const parent = new Map<number, number>();
  const self = new Map<number, number>();
  if ('head' in json) {
    const walk = (node: HeapNode, up?: number) => {
      frames.set(node.id, node.callFrame);
      if (up !== undefined) parent.set(node.id, up);
      if (node.selfSize > 0) self.set(node.id, node.selfSize);
      for (const child of node.children) walk(child, node.id);
    };
    walk(json.head);
    return { frames, parent, self, unit: 'alloc' };
  }
  for (const node of json.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  json.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (json.timeDeltas[i] ?? 0)));
  return { frames, parent, self, unit: 'cpu' };
}

const root = relative(process.cwd(), '.') || '.';

function where(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return '(native)';
  const path = url.startsWith('/') ? relative(process.cwd(), url) : url;
  return `${path}:${frame.lineNumber + 1}`;
}

function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  return relative(process.cwd(), url.replace(/^file:\/\//, ''));
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile|file.heapprofile> [top]');
  const top = Number(topArg ?? 30);
  const { frames, parent, self, unit } = treeOf(JSON.parse(readFileSync(file, 'utf8')));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => frames.get(id)!.functionName === '(idle)').reduce((a, [, w]) => a + w, 0);
  const busy = total - idle;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, weight] of self) {
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)') continue;
    const key = `${frame.functionName || '(anonymous)'}  ${where(frame)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + weight);
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + weight);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = frames.get(at)!;
      if (!/\/(apps|libs|dist)\//.test(f.url) || /node_modules/.test(f.url)) continue;
      seen.add(`${f.functionName || '(anonymous)'}  ${where(f)}`);
    }
    for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + weight);
  }
  const pct = (w: number) => `${((100 * w) / busy).toFixed(1).padStart(5)} %`;
  const what = unit === 'cpu' ? 'time' : 'bytes allocated';
  if (unit === 'cpu') {
    process.stdout.write(`${file} (${root}): ${(total / 1e6).toFixed(1)} s sampled, ${((100 * idle) / total).toFixed(1)} % idle; shares below are of busy time\n\n`);
  } else {
    process.stdout.write(`${file} (${root}): ${(total / 2 ** 20).toFixed(1)} MiB allocated (sampled), start-up included\n\n`);
  }
  process.stdout.write(`self ${what} by package / file:\n`);
  for (const [pkg, w] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 20)) process.stdout.write(`${pct(w)}  ${pkg}\n`);
  process.stdout.write(`\ntop ${top} functions by self ${what}:\n`);
  for (const [key, w] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(w)}  ${key}\n`);
  process.stdout.write(`\nour code, top ${top} by inclusive ${what}:\n`);
  for (const [key, w] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(w)}  ${key}\n`);
}

main();
