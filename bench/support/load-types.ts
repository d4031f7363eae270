/** What the harness asks of the load process (bench/load.ts), and what it answers. */
export type LoadJob =
  | {
      kind: 'http';
      url: string;
      body: string;
      headers: Record<string, string>;
      concurrency: number;
      seconds: number;
      warmupSeconds: number;
      /** When set: send exactly this many requests (after the warm-up) instead of running `seconds`. */
      amount?: number;
    }
  | {
      kind: 'nats';
      url: string;
      subject: string;
      payload: string;
      concurrency: number;
      seconds: number;
      warmupSeconds: number;
    };

export interface LoadResult {
  /** Successful (2xx, or answered) requests in the measured window. */
  requests: number;
  rps: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  /** Transport errors + timeouts + non-2xx responses. */
  errors: number;
  seconds: number;
}
