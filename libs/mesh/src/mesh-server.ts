import { Logger } from '@nestjs/common';
import { CustomStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { EventEmitter } from 'node:events';
import { connect, Empty, NatsConnection, Service, ServiceMsg } from 'nats';
import { firstValueFrom, isObservable } from 'rxjs';
import { currentCall } from './call-storage';
import { drainOrClose } from './drain';
import { failureOf } from './failure';
import { decodeJson, encodeJson } from './json';
import { MeshContext } from './mesh-context';
import { MeshCodes, MeshError } from './mesh-error';
import { connectionOptions, DEFAULT_GRACE_PERIOD, DEFAULT_VERSION, MeshOptions } from './options';
import { errorHeaders, parseSubject, QUEUE_GROUP, subjectFor } from './wire';

/** The transport id of the mesh, for `@MessagePattern(pattern, MESH_TRANSPORT)` if ever needed. */
export const MESH_TRANSPORT = Symbol('nest-mesh');

type StatusEvent = 'disconnect' | 'reconnect' | 'update';

/**
 * The Nest transport that serves `@MeshFunction`s on the mesh wire (CONTRACT section 4):
 * every `@MeshService` becomes a NATS micro service (ADR-32) with one endpoint per function
 * on `mesh.<service>.<func>`, queue group `q`. Closing stops taking calls first, finishes the
 * calls in flight (up to `gracePeriod`), then drains the connection.
 */
export class MeshServer extends Server<Record<StatusEvent, Function>, string> {
  override readonly transportId = MESH_TRANSPORT;
  protected override readonly logger = new Logger('MeshServer');
  private readonly events = new EventEmitter();
  private nc?: NatsConnection;
  private connected = false;
  private services: Service[] = [];
  private inFlight = 0;
  private idle?: () => void;

  constructor(private readonly options: MeshOptions = {}) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.nc = await connect({ waitOnFirstConnect: true, ...connectionOptions(this.options, 'nest-mesh service') });
      this.connected = true;
      this._status$.next('connected');
      void this.watchStatus(this.nc);
      await this.serve(this.nc);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Graceful stop: no new calls, then the calls in flight finish, then the connection drains. */
  async close(): Promise<void> {
    const nc = this.nc;
    if (!nc) return;
    this.nc = undefined;
    await Promise.allSettled(this.services.map((service) => service.stop()));
    this.services = [];
    this.logger.log(`stopped taking calls; ${this.inFlight} in flight`);
    await this.callsFinished(this.options.gracePeriod ?? DEFAULT_GRACE_PERIOD);
    await drainOrClose(nc, this.connected);
    this.events.removeAllListeners();
  }

  on(event: StatusEvent, callback: Function): void {
    this.events.on(event, callback as (...args: unknown[]) => void);
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('MeshServer is not listening');
    return this.nc as T;
  }

  private async serve(nc: NatsConnection): Promise<void> {
    const byService = new Map<string, [func: string, handler: MessageHandler][]>();
    for (const [pattern, handler] of this.messageHandlers) {
      const names = parseSubject(pattern);
      if (!names) {
        this.logger.warn(`pattern "${pattern}" is not a mesh function (mesh.<service>.<func>); not served`);
        continue;
      }
      const list = byService.get(names.service) ?? [];
      list.push([names.func, handler]);
      byService.set(names.service, list);
    }
    const version = this.options.version ?? DEFAULT_VERSION;
    for (const [name, functions] of byService) {
      const service = await nc.services.add({ name, version, queue: QUEUE_GROUP });
      for (const [func, handler] of functions) {
        const subject = subjectFor(name, func);
        service.addEndpoint(func, {
          subject,
          handler: (error, msg) => {
            if (error) this.logger.error(`endpoint ${subject} stopped: ${error.message}`);
            else void this.handleCall(msg, handler, name, func);
          },
        });
      }
      this.services.push(service);
      this.logger.log(`serving ${name}: ${functions.map(([func]) => func).join(', ')}`);
    }
  }

  private async handleCall(msg: ServiceMsg, handler: MessageHandler, service: string, func: string): Promise<void> {
    const ctx = new MeshContext(msg.subject, msg.headers, service, func);
    if (ctx.deadline <= Date.now()) return; // the caller has stopped waiting
    this.inFlight++;
    try {
      let params: unknown;
      try {
        params = decodeJson(msg.data);
      } catch {
        throw new MeshError(400, 'params are not valid JSON', MeshCodes.BAD_REQUEST);
      }
      ctx.bindParams(params);
      const result = await currentCall.run(ctx, () => resultOf(handler(params, ctx)));
      if (msg.reply) msg.respond(encodeJson(result));
    } catch (error) {
      if (msg.reply) this.respondError(msg, failureOf(error, service, func, this.logger));
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  private respondError(msg: ServiceMsg, error: MeshError): void {
    msg.respond(Empty, { headers: errorHeaders(error) });
  }

  private callsFinished(gracePeriod: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn(`closing with ${this.inFlight} call(s) still running after ${gracePeriod} ms`);
        resolve();
      }, gracePeriod);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'update') {
        this.logger.log(`broker ${status.type}: ${String(status.data)}`);
        if (status.type !== 'update') this.connected = status.type === 'reconnect';
        this._status$.next(status.type === 'disconnect' ? 'disconnected' : 'connected');
        this.events.emit(status.type, status.data);
      }
    }
  }
}

/**
 * The value a Nest message handler resolves to: a plain value (the usual case, without going
 * through RxJS), or the first value of the Observable it returned (`null` when it completes empty).
 */
async function resultOf(handled: unknown): Promise<unknown> {
  const value = await handled;
  return isObservable(value) ? firstValueFrom(value, { defaultValue: null }) : value;
}

/**
 * The options of a Nest microservice (or of `app.connectMicroservice`) that serves the
 * app's `@MeshService`s: `NestFactory.createMicroservice(AppModule, meshMicroservice({ servers }))`.
 */
export function meshMicroservice(options: MeshOptions = {}): CustomStrategy {
  return { strategy: new MeshServer(options) };
}
