import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { connect, ConnectionOptions, NatsConnection } from 'nats';
import { drainOrClose } from '../drain';
import { MESH_OPTIONS } from '../mesh.module-definition';
import { connectionOptions, MeshOptions } from '../options';

/**
 * The NATS connection that MeshClient calls through. It is made at start-up; if the broker
 * cannot be reached then, it keeps trying in the background (until shut down), and `current` is undefined
 * whenever there is no working connection, so callers fail at once instead of waiting.
 */
@Injectable()
export class MeshConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MeshConnection');
  private nc?: NatsConnection;
  private connected = false;
  private closing = false;
  private retryTimer?: NodeJS.Timeout;
  private readonly lostListeners: (() => void)[] = [];

  constructor(@Inject(MESH_OPTIONS) private readonly options: MeshOptions) {}

  /** The connection when it is up, else undefined. */
  get current(): NatsConnection | undefined {
    return this.connected ? this.nc : undefined;
  }

  /** `listener` runs whenever the connection to the broker is lost. */
  onLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  async onModuleInit(): Promise<void> {
    const options = { ...connectionOptions(this.options, 'nest-mesh client'), waitOnFirstConnect: false };
    try {
      this.adopt(await connect(options));
    } catch (error) {
      this.logger.warn(`broker ${String(options.servers ?? 'nats://127.0.0.1:4222')} unreachable (${(error as Error).message}); retrying`);
      this.retry(options);
    }
  }

  /** Tries again every `reconnectTimeWait` ms until connected or shut down. */
  private retry(options: ConnectionOptions): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      connect(options).then(
        (nc) => (this.closing ? void nc.close() : this.adopt(nc)),
        () => !this.closing && this.retry(options),
      );
    }, options.reconnectTimeWait ?? 2000);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    const nc = this.nc;
    const connected = this.connected;
    this.connected = false;
    this.nc = undefined;
    if (nc) await drainOrClose(nc, connected);
  }

  private adopt(nc: NatsConnection): void {
    this.nc = nc;
    this.connected = true;
    this.logger.log(`connected to the broker at ${nc.getServer()}`);
    void this.watch(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.lost();
      if (status.type === 'reconnect') this.connected = true;
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        this.logger.log(`broker ${status.type}: ${String(status.data)}`);
      }
    }
    this.lost();
  }

  private lost(): void {
    this.connected = false;
    for (const listener of this.lostListeners) listener();
  }
}
