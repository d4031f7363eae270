import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorFunction, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

/** A probe's answer: the HTTP status and the JSON body (terminus's HealthCheckResult for /readyz). */
export interface ProbeAnswer {
  status: number;
  body: object;
}

/** How long one readiness check may take before it counts as down. */
export const READINESS_CHECK_TIMEOUT_MS = 3000;

const LIVE: ProbeAnswer = Object.freeze({ status: 200, body: Object.freeze({ status: 'ok' }) });

/**
 * The gateway's probes (docs/operations.md#probes). `/readyz` runs every registered check with
 * @nestjs/terminus: 200 `{"status":"ok",...}` when all are up, else 503 `{"status":"error",...}`,
 * and 503 from `markStopping()` (SIGTERM) until exit. The broker connection registers itself
 * (BrokerHealth); any other part of the gateway that needs something reachable (an event store,
 * a rate-limit store) injects Readiness and calls `add(key, check)` in its `onModuleInit`.
 */
@Injectable()
export class Readiness {
  private readonly checks: HealthIndicatorFunction[] = [];
  private readonly stopping: HealthIndicatorFunction;
  private isStopping = false;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.stopping = () => this.indicators.check('shutdown').down({ message: 'the gateway is stopping' });
  }

  /**
   * Adds a check under `key` (its entry in the /readyz body). `check` returns terminus's
   * `HealthIndicatorService.check(key).up()` / `.down()`; a check that throws or takes longer than
   * READINESS_CHECK_TIMEOUT_MS counts as down.
   */
  add(key: string, check: HealthIndicatorFunction): void {
    this.checks.push(() => this.bounded(key, check));
  }

  /** `add` for a yes/no check: up while `isUp()` holds, else down with `message`. */
  addCondition(key: string, isUp: () => boolean | Promise<boolean>, message: string): void {
    this.add(key, async () => {
      const check = this.indicators.check(key);
      return (await isUp()) ? check.up() : check.down({ message });
    });
  }

  /** From now until exit, /readyz answers 503, so a load balancer stops sending before the gateway closes. */
  markStopping(): void {
    this.isStopping = true;
  }

  get stoppingNow(): boolean {
    return this.isStopping;
  }

  livez(): ProbeAnswer {
    return LIVE;
  }

  async readyz(): Promise<ProbeAnswer> {
    const checks = this.isStopping ? [...this.checks, this.stopping] : this.checks;
    try {
      return { status: 200, body: await this.health.check(checks) };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // terminus says "shutting_down" once Nest's shutdown hooks run; docs/operations.md#probes says "error" for every 503.
      return { status: 503, body: { ...(error.getResponse() as object), status: 'error' } };
    }
  }

  private async bounded(key: string, check: HealthIndicatorFunction): Promise<HealthIndicatorResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HealthIndicatorResult>((resolve) => {
      timer = setTimeout(() => resolve(this.indicators.check(key).down({ message: `no answer within ${READINESS_CHECK_TIMEOUT_MS} ms` })), READINESS_CHECK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([Promise.resolve().then(check), timeout]);
    } catch (error) {
      return this.indicators.check(key).down({ message: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}
