import { Injectable } from '@nestjs/common';
import { JSON_CONTENT_TYPE } from '@nest-mesh/wire';
import { GatewayMetrics } from './gateway-metrics';
import { Readiness } from './readiness';

/** One answer of a probe or of /metrics: never cached (`Cache-Control: no-store`). */
export interface ProbeResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The paths of the probes and of the metrics, served on the API port or on `management.port` (docs/operations.md). */
export const PROBE_PATHS = ['livez', 'readyz', 'metrics'] as const;

/**
 * `/livez`, `/readyz` and `/metrics`, routed once: the API port's controller and the management
 * server both answer with `answer(path)`.
 */
@Injectable()
export class Probes {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** The answer of `path` (one of PROBE_PATHS, without a leading slash), or undefined for any other path. */
  async answer(path: string): Promise<ProbeResponse | undefined> {
    switch (path) {
      case 'livez':
      case 'readyz': {
        const { status, body } = path === 'livez' ? this.readiness.livez() : await this.readiness.readyz();
        return { status, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body) };
      }
      case 'metrics': {
        const { contentType, text } = await this.metrics.render();
        return { status: 200, contentType, body: text };
      }
      default:
        return undefined;
    }
  }
}
