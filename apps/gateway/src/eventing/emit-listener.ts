import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Msg, NatsConnection, Subscription } from 'nats';
import { EMIT_SUBJECT, QUEUE_GROUP } from '@nest-mesh/wire';
import { MeshCodes, MeshError, MeshOptions } from 'nest-mesh';
import { BrokerConnector, connectionOptions, decodeJson, encodeJson, errorHeaders } from 'nest-mesh/internal';
import { GatewayConfig } from '../config/gateway-config';
import { EVENTING_BROKER } from './event-store.provider';
import { EventingService } from './eventing.service';
import { parseQueueRequest } from './queue-request';

/**
 * Serves `MeshClient.emit` (docs/protocol.md): a request on `$MESH.events.queue` with the JSON
 * `{type, payload, id?, delay?}` is checked like an HTTP queue body, stored, and answered `{"id"}`,
 * or with the error headers of the wire. The gateways share the subject in queue group `q`.
 * Backends are trusted (the broker is the boundary, docs/security.md): no event rules here.
 */
@Injectable()
export class EmitListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Eventing');
  private nc?: NatsConnection;
  private sub?: Subscription;
  /** Aborted at shutdown: stops waiting for the broker. */
  private readonly closed = new AbortController();

  constructor(
    private readonly eventing: EventingService,
    @Inject(EVENTING_BROKER) private readonly broker: MeshOptions,
    private readonly config: GatewayConfig,
  ) {}

  /**
   * Subscribed before the gateway serves (so an emit right after start-up finds it): one connect
   * attempt is awaited; if the broker is unreachable, connecting goes on in the background (BrokerConnector).
   */
  async onApplicationBootstrap(): Promise<void> {
    const connector = new BrokerConnector(connectionOptions(this.broker, 'nest-mesh gateway eventing'), this.logger);
    const nc = await connector.tryOnce();
    if (nc !== undefined) return this.serve(nc);
    void connector.untilConnected(this.closed.signal).then((later) => later && this.serve(later));
  }

  private async serve(nc: NatsConnection): Promise<void> {
    this.nc = nc;
    this.sub = nc.subscribe(EMIT_SUBJECT, { queue: QUEUE_GROUP, callback: (error, msg) => error || void this.handle(msg) });
    await nc.flush();
  }

  private async handle(msg: Msg): Promise<void> {
    try {
      let body: unknown;
      try {
        body = decodeJson(msg.data);
      } catch {
        throw new MeshError(400, 'the event is not valid JSON', MeshCodes.BAD_REQUEST);
      }
      const request = parseQueueRequest(body, this.config.modules.eventing.maxPayload);
      const { id } = await this.eventing.queue(request);
      msg.respond(encodeJson({ id }));
    } catch (error) {
      const failure = error instanceof MeshError ? error : new MeshError(503, `the event could not be stored: ${(error as Error).message}`, MeshCodes.SERVICE_UNAVAILABLE);
      msg.respond(new Uint8Array(0), { headers: errorHeaders(failure) });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed.abort();
    this.sub?.unsubscribe();
    await this.nc?.drain().catch(() => undefined);
  }
}
