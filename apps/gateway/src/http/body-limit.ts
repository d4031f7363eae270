import { LoggerService, Provider } from '@nestjs/common';
import { MeshConnection } from 'nest-mesh/internal';

/**
 * The largest request body the gateway accepts: `http.bodyLimit`, or the connected broker's
 * `max_payload` (from its INFO) when that is smaller, since a call's params travel in one NATS
 * message. Read per request, so a reconnect to a server with another limit counts at once.
 * The headers of the call take a little more room; a call that still does not fit is answered
 * 413 as well, by MeshClient (docs/config.md#limits).
 */
export class BodyLimit {
  constructor(
    readonly bodyLimit: number,
    private readonly connection?: MeshConnection,
  ) {}

  /** The connected broker's max_payload, or undefined when there is no connection. */
  get brokerLimit(): number | undefined {
    return this.connection?.current?.info?.max_payload;
  }

  /** Bytes a body may have now. */
  get current(): number {
    const broker = this.brokerLimit;
    return broker !== undefined && broker < this.bodyLimit ? broker : this.bodyLimit;
  }

  /** Says so, once, when `http.bodyLimit` is over what the broker accepts. */
  warnIfOverBroker(logger: LoggerService): void {
    const broker = this.brokerLimit;
    if (broker !== undefined && this.bodyLimit > broker) {
      logger.warn(
        `http.bodyLimit (${this.bodyLimit} bytes) is over the broker's max_payload (${broker} bytes): ` +
          `larger bodies are answered 413 PAYLOAD_TOO_LARGE; raise the broker's max_payload or lower http.bodyLimit`,
      );
    }
  }
}

/** The BodyLimit of a gateway: the broker part only when it calls functions (then MeshConnection exists). */
export function bodyLimitProvider(bodyLimit: number): Provider {
  return {
    provide: BodyLimit,
    useFactory: (connection?: MeshConnection) => new BodyLimit(bodyLimit, connection),
    inject: [{ token: MeshConnection, optional: true }],
  };
}
