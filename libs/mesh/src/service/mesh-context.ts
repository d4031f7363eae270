import { NatsContext } from '@nestjs/microservices';
import type { Context } from '@opentelemetry/api';
import type { MsgHdrs } from 'nats';
import { MeshHeaders } from '@nest-mesh/wire';
import type { TrustedAuth } from '../token/mesh-token-verifier';

/** The verified JWT claims of a call's original caller (`sub`, `role`, ...), read-only. */
export type MeshAuth = Readonly<Record<string, unknown>>;

/** The event a triggered call delivers (docs/events.md): dedupe by `id`; `attempt` is 1 for the first. */
export interface MeshEvent {
  id: string;
  type: string;
  attempt: number;
}

/**
 * What a function knows about the call besides its params: who called (verified claims),
 * the request id, the deadline, and its own names. The second argument of every mesh function,
 * and a Nest `NatsContext`, so `@Ctx()` works too.
 */
export class MeshContext extends NatsContext {
  private decodedAuth?: MeshAuth | null;
  /** Set when the call's Mesh-Token was verified: then auth comes from the token only. */
  private trusted?: TrustedAuth;
  /** The OpenTelemetry context of this call's span, when an SDK is registered: calls made while serving it are its children. */
  trace?: Context;
  private params: unknown;

  /** Made by the transport for every call; user code receives it, it does not make one. */
  constructor(
    subject: string,
    /** The NATS headers of the request (docs/protocol.md lists them). */
    readonly headers: MsgHdrs | undefined,
    /** The service name of the function being called. */
    readonly service: string,
    /** The function name being called. */
    readonly func: string,
  ) {
    super([subject, headers]);
  }

  /** The request id given by the gateway (or the caller), `''` when none. */
  get requestId(): string {
    return this.header(MeshHeaders.requestId) ?? '';
  }

  /** Unix ms after which nobody waits for the reply; `Infinity` when the caller set none. */
  get deadline(): number {
    const raw = this.header(MeshHeaders.deadline);
    const value = raw === undefined ? NaN : Number(raw);
    return Number.isFinite(value) ? value : Infinity;
  }

  /** The verified JWT claims of the original caller, or undefined when there were none. */
  get auth(): MeshAuth | undefined {
    if (this.decodedAuth === undefined) {
      this.decodedAuth = parseAuth(this.header(MeshHeaders.auth));
    }
    return this.decodedAuth ?? undefined;
  }

  /** Milliseconds left before the deadline (never below 0). */
  remainingMs(now = Date.now()): number {
    return Math.max(0, this.deadline - now);
  }

  /** The `Mesh-Auth` text MeshClient passes on: the verified token's claims when there is one, else the header. */
  get rawAuth(): string | undefined {
    return this.trusted ? this.trusted.authJson : this.header(MeshHeaders.auth);
  }

  /** The gateway's `Mesh-Token` of this call, passed on by MeshClient to the calls made while serving it. */
  get meshToken(): string | undefined {
    return this.header(MeshHeaders.token);
  }

  /** Takes `auth` from a verified Mesh-Token, never again from the unsigned `Mesh-Auth` header. */
  trust(trusted: TrustedAuth): void {
    this.trusted = trusted;
    this.decodedAuth = trusted.auth;
  }

  /** The W3C `traceparent` of the caller, when it had one. */
  /** The event this call delivers when a trigger made it (header `Mesh-Event-Id`), else undefined. */
  get event(): MeshEvent | undefined {
    const id = this.header(MeshHeaders.eventId);
    if (id === undefined) return undefined;
    const { type, attempt } = (this.params ?? {}) as { type?: unknown; attempt?: unknown };
    return { id, type: typeof type === 'string' ? type : '', attempt: typeof attempt === 'number' ? attempt : 1 };
  }

  /** Set by the transport once the params are decoded (read by `event`). */
  bindParams(params: unknown): void {
    this.params = params;
  }

  get traceparent(): string | undefined {
    return this.header(MeshHeaders.traceparent);
  }

  /** One request header by name; undefined when absent or empty. */
  header(name: string): string | undefined {
    const value = this.headers?.get(name);
    return value === undefined || value === '' ? undefined : value;
  }
}

function parseAuth(raw: string | undefined): MeshAuth | null {
  if (raw === undefined) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as MeshAuth) : null;
  } catch {
    return null;
  }
}
