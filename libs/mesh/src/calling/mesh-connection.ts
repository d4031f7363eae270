import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { BrokerConnector } from '../connect';
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
  /** Aborted at shutdown: stops waiting for the broker. */
  private readonly closed = new AbortController();
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

  /** One try at start-up; if the broker cannot be reached, the connection is made in the background (the log says so on every try). */
  async onModuleInit(): Promise<void> {
    const connector = new BrokerConnector({ ...connectionOptions(this.options, 'nest-mesh client'), waitOnFirstConnect: false }, this.logger);
    const nc = await connector.tryOnce();
    if (nc !== undefined) return this.adopt(nc);
    void connector.untilConnected(this.closed.signal).then((later) => later && this.adopt(later));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed.abort();
    const nc = this.nc;
    const connected = this.connected;
    this.connected = false;
    this.nc = undefined;
    if (nc) await drainOrClose(nc, connected);
  }

  private adopt(nc: NatsConnection): void {
    this.nc = nc;
    this.connected = true;
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
