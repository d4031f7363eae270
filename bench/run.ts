/**
 * `npm run bench [-- --duration 10 --warmup 3 --concurrency 1,64 --rounds 3 --only a,c --profile a-fastify --no-write --json out.json]`
 * (`--alloc-profile a-fastify`: like --profile, for allocations instead of CPU time)
 * (`--report-only`: re-renders the section from bench/results.json without running anything)
 *
 * nest-mesh against its peers on this machine, in one run (see bench/systems). Writes the
 * `## Gateway vs peers` section of bench/RESULTS.md and bench/results.json (unless --no-write).
 * `--profile <system id>` runs that system's measured process with `node --cpu-prof`, and
 * `--json <file>` also writes the results (figures, ratios, machine) to that file; with `--no-write` it
 * is the only file written.
 * `--alloc-profile <system id>` with bench/support/alloc-sampler (profiles in bench/profiles/, read
 * them with bench/profile-summary.ts). Exit code 1 when a system failed.
 */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { BenchResults, runBench } from './harness';
import { computeRatios, Machine, renderSection, writeResultsJson, writeResultsMarkdown } from './report';

interface Args {
  duration: number;
  warmup: number;
  concurrency: number[];
  rounds: number;
  only?: string[];
  profile?: { system: string; kind: 'cpu' | 'alloc' };
  write: boolean;
  json?: string;
  reportOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { duration: 10, warmup: 3, concurrency: [1, 64], rounds: 1, write: true, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    const number = (v: string) => (Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : fail(`${flag}: not a number: ${v}`));
    switch (flag) {
      case '--duration':
        args.duration = number(value());
        break;
      case '--warmup':
        args.warmup = number(value());
        break;
      case '--concurrency':
        args.concurrency = value().split(',').map(number);
        break;
      case '--rounds':
        args.rounds = Math.max(1, Math.floor(number(value())));
        break;
      case '--only':
        args.only = value().split(',').filter(Boolean);
        break;
      case '--profile':
        args.profile = { system: value(), kind: 'cpu' };
        break;
      case '--alloc-profile':
        args.profile = { system: value(), kind: 'alloc' };
        break;
      case '--report-only':
        args.reportOnly = true;
        break;
      case '--json':
        args.json = value();
        break;
      case '--no-write':
        args.write = false;
        break;
      default:
        fail(`unknown argument ${argv[i]}`);
    }
  }
  if (args.duration <= 0) fail('--duration must be > 0');
  return args;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.reportOnly) {
    const saved = JSON.parse(readFileSync(join(__dirname, 'results.json'), 'utf8')) as BenchResults & { machine: Machine };
    const section = renderSection(saved, computeRatios(saved), saved.machine);
    writeResultsMarkdown(join(__dirname, 'RESULTS.md'), section);
    process.stdout.write(section);
    return;
  }
  const profileDir = join(__dirname, 'profiles');
  if (args.profile) mkdirSync(profileDir, { recursive: true });
  const results = await runBench({
    duration: args.duration,
    warmup: args.warmup,
    concurrency: args.concurrency,
    rounds: args.rounds,
    only: args.only,
    profile: args.profile ? { ...args.profile, dir: profileDir } : undefined,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const ratios = computeRatios(results);
  const machine: Machine = {
    date: new Date().toISOString(),
    nproc: Number(execSync('nproc', { encoding: 'utf8' }).trim()),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
  const section = renderSection(results, ratios, machine);
  process.stdout.write(`\n${section}`);
  if (args.write) {
    writeResultsMarkdown(join(__dirname, 'RESULTS.md'), section);
    writeResultsJson(join(__dirname, 'results.json'), results, ratios, machine);
    process.stdout.write('written: bench/RESULTS.md (section "Gateway vs peers"), bench/results.json\n');
  }
  if (args.json) {
    writeResultsJson(args.json, results, ratios, machine);
    process.stdout.write(`written: ${args.json}\n`);
  }
  if (args.profile) process.stdout.write(`${args.profile.kind} profile(s) in ${profileDir}\n`);
  process.exitCode = results.systems.some((s) => s.status === 'failed') ? 1 : 0;
}

main().catch((error: Error) => {
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
