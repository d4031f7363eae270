import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayConfig } from '../config/gateway-config';
import { answerClientError } from '../http/client-errors';
import { createHttpServer, urlHostOf } from '../http/http-server';
import { GatewayMetrics } from './gateway-metrics';
import { Readiness } from './readiness';

/**
 * With `management.port` set: `/livez`, `/readyz` and `/metrics` on that port only, from a small
 * node:http server that starts with the app and closes after it, so probes answer (503 on
 * /readyz) until the process exits. It binds to `management.host` (default `host`) and cuts off
 * slow clients with the API port's timeouts and answers (docs/operations.md#metrics).
 */
@Injectable()
export class ManagementServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Management');
  private server?: Server;
  /** e.g. http://127.0.0.1:9464; undefined without `management.port`. */
  url?: string;

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    private readonly readiness: Readiness,
    private readonly metrics: GatewayMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { management } = this.config;
    if (management === undefined) return;
    const { port } = management;
    const host = management.host ?? this.config.host;
    const server = createHttpServer((request, response) => void this.handle(request, response), this.config.http);
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new Error(
            error.code === 'EADDRINUSE'
              ? `management.port: ${port} is already in use`
              : error.code === 'EADDRNOTAVAIL'
                ? `management.host: ${host} is not an address of this machine`
                : `management server: ${error.message}`,
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.url = `http://${urlHostOf(host)}:${(server.address() as AddressInfo).port}`;
    this.logger.log(`probes and metrics on ${this.url}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0];
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return send(response, 405, 'application/json; charset=utf-8', '{"error":"only GET is allowed","code":"METHOD_NOT_ALLOWED"}');
      }
      if (path === '/livez' || path === '/readyz') {
        const { status, body } = path === '/livez' ? this.readiness.livez() : await this.readiness.readyz();
        return send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
      }
      if (path === '/metrics') {
        const { contentType, text } = await this.metrics.render();
        return send(response, 200, contentType, text);
      }
      send(response, 404, 'application/json; charset=utf-8', '{"error":"not found","code":"NOT_FOUND"}');
    } catch (error) {
      this.logger.error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      send(response, 500, 'application/json; charset=utf-8', '{"error":"internal error","code":"INTERNAL"}');
    }
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
