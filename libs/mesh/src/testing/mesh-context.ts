import { randomUUID } from 'node:crypto';
import { headers as natsHeaders } from 'nats';
import { MeshHeaders, subjectFor } from '@nest-mesh/wire';
import { MeshContext } from '../service/mesh-context';
import type { MeshAuth } from '../service/mesh-context';

/** What `meshContext` builds a call's context from; every field may be left out. */
export interface MeshContextOptions {
  /** `ctx.service`; `test` when absent. */
  service?: string;
  /** `ctx.func`; `test` when absent. */
  func?: string;
  /** `ctx.auth`: the caller's verified claims (`{ sub: 'ada', role: 'admin' }`); absent: an anonymous caller. */
  auth?: MeshAuth;
  /** `ctx.requestId`; a new UUID when absent, as the gateway makes one. */
  requestId?: string;
  /** `ctx.deadline` (unix ms); absent: no deadline (`Infinity`). */
  deadline?: number;
  /** Any other request header, by its wire name (docs/protocol.md), e.g. `{ traceparent: '00-...' }`. */
  headers?: Record<string, string>;
}

/**
 * The `MeshContext` of a call, for a unit test that calls a handler directly:
 * `service.create(params, meshContext({ auth: { sub: 'ada' } }))` (docs/testing.md). It carries
 * the request headers the transport reads (docs/protocol.md), so the handler sees what it would
 * see behind the gateway.
 */
export function meshContext(options: MeshContextOptions = {}): MeshContext {
  const { service = 'test', func = 'test', auth, requestId = randomUUID(), deadline } = options;
  const headers = natsHeaders();
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  headers.set(MeshHeaders.requestId, requestId);
  if (auth !== undefined) headers.set(MeshHeaders.auth, JSON.stringify(auth));
  if (deadline !== undefined) headers.set(MeshHeaders.deadline, String(deadline));
  return new MeshContext(subjectFor(service, func), headers, service, func);
}
