import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayConfig } from '../config/gateway-config';
import { answerClientError } from '../http/client-errors';
import { createHttpServer, urlHostOf } from '../http/http-server';
import { JSON_CONTENT_TYPE } from '@nest-mesh/wire';
import { ProbeResponse, Probes } from './probes';

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
    private readonly probes: Probes,
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
        return send(response, { status: 405, contentType: JSON_CONTENT_TYPE, body: '{"error":"only GET is allowed","code":"METHOD_NOT_ALLOWED"}' });
      }
      const answer = await this.probes.answer(path.slice(1));
      send(response, answer ?? { status: 404, contentType: JSON_CONTENT_TYPE, body: '{"error":"not found","code":"NOT_FOUND"}' });
    } catch (error) {
      this.logger.error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
      send(response, { status: 500, contentType: JSON_CONTENT_TYPE, body: '{"error":"internal error","code":"INTERNAL"}' });
    }
  }
}

function send(response: ServerResponse, { status, contentType, body }: ProbeResponse): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
