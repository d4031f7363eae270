import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { connect, NatsConnection } from 'nats';
import { MESH_OPTIONS } from './mesh.module-definition';
import { connectionOptions, MeshOptions } from './options';

/**
 * The NATS connection that MeshClient calls through. It is made at start-up; if the broker
 * cannot be reached then, it keeps trying in the background, and `current` is undefined
 * whenever there is no working connection, so callers fail at once instead of waiting.
 */
@Injectable()
export class MeshConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MeshConnection');
  private nc?: NatsConnection;
  private connected = false;
  private closing = false;

  constructor(@Inject(MESH_OPTIONS) private readonly options: MeshOptions) {}

  /** The connection when it is up, else undefined. */
  get current(): NatsConnection | undefined {
    return this.connected ? this.nc : undefined;
  }

  async onModuleInit(): Promise<void> {
    const options = connectionOptions(this.options, 'nest-mesh client');
    try {
      this.adopt(await connect({ ...options, waitOnFirstConnect: false }));
    } catch (error) {
      this.logger.warn(`broker ${String(options.servers ?? 'nats://127.0.0.1:4222')} unreachable (${(error as Error).message}); retrying`);
      connect({ ...options, waitOnFirstConnect: true }).then(
        (nc) => (this.closing ? nc.close() : this.adopt(nc)),
        (err: Error) => this.logger.error(`cannot connect to the broker: ${err.message}`),
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.connected = false;
    const nc = this.nc;
    this.nc = undefined;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  private adopt(nc: NatsConnection): void {
    this.nc = nc;
    this.connected = true;
    this.logger.log(`connected to the broker at ${nc.getServer()}`);
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.logger.log(`broker ${status.type}: ${String(status.data)}`);
      }
    }
    this.connected = false;
  }
}
