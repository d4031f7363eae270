import type { ProcessRegistry } from '../support/processes';

/** How one system is called, and what a correct answer is. */
export type Target =
  | { kind: 'http'; url: string; body: string; headers: Record<string, string>; expect: { status: number; body: unknown } }
  | { kind: 'nats'; url: string; subject: string; payload: string; expect: unknown };

export interface SystemContext {
  registry: ProcessRegistry;
  /** The URL of the run's nats-server, started on a free port the first time it is asked for. */
  natsUrl(): Promise<string>;
  /** The process id of the run's nats-server, once natsUrl() started it. */
  natsPid(): number | undefined;
  /** Extra node flags for the measured process of the system with this id (e.g. --cpu-prof). */
  nodeArgsFor(systemId: string): string[];
}

export interface RunningSystem {
  target: Target;
  /** The process whose peak RSS is reported (the gateway or the HTTP server), and its role. */
  measuredPid: number | undefined;
  measured: string;
  /**
   * The system's other processes (its broker and services), whose CPU time counts with the
   * measured process's in the CPU per call of the whole system.
   */
  others: { role: string; pid: number | undefined }[];
  /** The gateway's Prometheus endpoint, for systems that have one (read by the soak). */
  metricsUrl?: string;
  stop(): Promise<void>;
}

export interface BenchSystem {
  /** Stable id used in results.json and by --only through its group, e.g. `a-fastify`. */
  id: string;
  /** The letter of the issue: a, a', b, c, d, e, f. */
  group: string;
  label: string;
  start(ctx: SystemContext): Promise<RunningSystem>;
}

/** Thrown by start() when the system cannot run here (e.g. a peer that is not installed, or a broker that is missing). */
export class SystemUnavailable extends Error {}
