import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import type { NatsConnection } from 'nats';
import { subjectFor } from '@nest-mesh/wire';
import type { MeshContext, MeshOptions } from 'nest-mesh';
import { activeTracer, inboxPrefixOf, MeshConnection, MeshServer } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../observability';
import { NestCalls } from './nest-calls';

/** The broker options the gateway connects with. */
const NEST_BRIDGE_BROKER = Symbol('NestBridgeBroker');

/**
 * Existing `Transport.NATS` services behind the gateway (docs/getting-started.md#coming-from-transportnats):
 * for each function of `modules.functions.nest` the gateway serves the mesh function
 * `<service>.<func>` itself, with the library's own transport (an ADR-32 service named `<service>`,
 * endpoint `<func>` on `mesh.<service>.<func>`, queue group `q`, no params schema), and forwards
 * each call to the Nest pattern in Nest's envelope (NestCalls). So the HTTP route, `MeshClient`,
 * discovery and OpenAPI see it as any function, and rules, limits, metrics, logs and traces apply on
 * the way in as to any function; streams, deadlines and a graceful stop are the transport's.
 */
@Injectable()
export class NestBridge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NestBridge');
  private server?: MeshServer;

  constructor(
    private readonly config: GatewayConfig,
    @Inject(NEST_BRIDGE_BROKER) private readonly broker: MeshOptions,
    private readonly metrics: GatewayMetrics,
    private readonly connection: MeshConnection,
  ) {}

  /** The bridge and what it needs, for the gateway's module. */
  static providers(broker: MeshOptions): Provider[] {
    return [{ provide: NEST_BRIDGE_BROKER, useValue: broker }, NestBridge];
  }

  /**
   * Serves the bridged functions before the gateway serves HTTP when the broker is reachable (the
   * gateway's own connection is up); otherwise as soon as it is.
   */
  async onApplicationBootstrap(): Promise<void> {
    const targets = this.config.modules.functions.nestTargets;
    if (targets.length === 0) return;
    const options: MeshOptions = { ...this.broker, signer: undefined, name: 'nest-mesh gateway (Transport.NATS services)', registry: this.metrics.registry };
    const server = new MeshServer(options);
    const calls = new NestCalls(this.config.modules.functions.timeout.max, activeTracer(), inboxPrefixOf(options));
    for (const target of targets) {
      const forward = (params: unknown, ctx: MeshContext) => calls.call(server.unwrap<NatsConnection>(), target, params, ctx);
      server.addHandler(subjectFor(target.service, target.func), forward as unknown as MessageHandler);
      this.logger.log(`${target.service}.${target.func} calls the Nest pattern ${target.subject}`);
    }
    this.server = server;
    const listening = new Promise<void>((resolve, reject) => void server.listen((error) => (error ? reject(error) : resolve())));
    if (this.connection.current) return listening;
    listening.catch((error: Error) => this.logger.error(`the functions of modules.functions.nest are not served: ${error.message}`));
  }

  /** Stops as any service instance does: no new calls, the calls in flight finish, the connection drains. */
  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
