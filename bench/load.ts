/**
 * The load process: started once per run by bench/support/load-client.ts (`fork`, IPC) and kept apart
 * from every server, it runs one job at a time and sends back what it measured.
 * - `http`: autocannon (keep-alive connections = concurrency), a warm-up run, then the measured run;
 *   latencies are taken from every response with sub-millisecond precision (autocannon's own
 *   histogram rounds to whole milliseconds).
 * - `nats`: `concurrency` loops of `nc.request` on one nats.js connection (no HTTP).
 */
import autocannon = require('autocannon');
import { connect } from 'nats';
import type { LoadJob, LoadResult } from './support/load-types';

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function summarize(latencies: number[], ok: number, errors: number, seconds: number): LoadResult {
  const sorted = Float64Array.from(latencies).sort();
  return { requests: ok, rps: ok / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), errors, seconds };
}

function cannon(job: Extract<LoadJob, { kind: 'http' }>, seconds: number, record: boolean): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let ok = 0;
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: job.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...job.headers },
        body: job.body,
        connections: job.concurrency,
        pipelining: 1,
        ...(job.amount !== undefined && record ? { amount: job.amount } : { duration: seconds }),
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
        const failed = result.errors + result.timeouts + result.non2xx;
        resolve(summarize(latencies, ok, failed, Math.max(elapsed, 1e-3)));
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        if (record) latencies.push(responseTime);
      }
    });
  });
}

async function natsLoad(job: Extract<LoadJob, { kind: 'nats' }>, seconds: number): Promise<LoadResult> {
  const nc = await connect({ servers: job.url, name: 'bench-load' });
  try {
    const payload = new TextEncoder().encode(job.payload);
    const latencies: number[] = [];
    let errors = 0;
    const started = process.hrtime.bigint();
    const end = started + BigInt(Math.round(seconds * 1e9));
    const loop = async () => {
      while (process.hrtime.bigint() < end) {
        const t = process.hrtime.bigint();
        try {
          await nc.request(job.subject, payload, { timeout: 10_000 });
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, loop));
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    return summarize(latencies, latencies.length, errors, elapsed);
  } finally {
    await nc.close();
  }
}

async function runJob(job: LoadJob): Promise<LoadResult> {
  if (job.kind === 'http') {
    if (job.warmupSeconds > 0) await cannon(job, job.warmupSeconds, false);
    return cannon(job, job.seconds, true);
  }
  if (job.warmupSeconds > 0) await natsLoad(job, job.warmupSeconds);
  return natsLoad(job, job.seconds);
}

process.on('message', (job: LoadJob) => {
  runJob(job).then(
    (result) => process.send!({ ok: true, result }),
    (error: Error) => process.send!({ ok: false, error: error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
