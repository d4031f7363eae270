import { headers as natsHeaders, MsgHdrs } from 'nats';
import { MeshError } from './mesh-error';

/**
 * The wire of the mesh (docs/protocol.md), defined once: subjects, names, headers, codes.
 * Any language with a NATS client can serve or call a function by following these constants.
 */

/** Every function lives under this subject prefix: `mesh.<service>.<func>`. */
export const SUBJECT_PREFIX = 'mesh';

/** Instances of a service share the load through this queue group (the ADR-32 default). */
export const QUEUE_GROUP = 'q';

/**
 * Where backends queue events (`MeshClient.emit`); the gateways serve it in queue group `q`. `$MESH`
 * is not a valid service name, so it can never be a function's subject (docs/protocol.md).
 */
export const EMIT_SUBJECT = '$MESH.events.queue';

/**
 * Where a mesh identity `<name>` receives the replies to its calls: `_INBOX.<name>.>`, and nowhere
 * else, so that no identity reads replies meant for another (docs/security.md).
 */
export function identityInboxPrefix(name: string): string {
  return `_INBOX.${name}`;
}

/** Service and function names: letters, digits, `_` and `-`, 1 to 64 of them. No subject injection. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The ADR-32 endpoint metadata key under which a function announces the JSON Schema of its params
 * (a JSON string); absent when it has none (docs/protocol.md).
 */
export const PARAMS_METADATA_KEY = 'nest-mesh.params';

/** Header names of a call and of its reply (docs/protocol.md). */
export const MeshHeaders = {
  requestId: 'Mesh-Request-Id',
  deadline: 'Mesh-Deadline',
  auth: 'Mesh-Auth',
  /** The gateway's signature on the call (docs/security.md). */
  token: 'Mesh-Token',
  errorCode: 'Mesh-Error-Code',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** The id of the event a triggered call delivers (docs/events.md). */
  eventId: 'Mesh-Event-Id',
  /** ADR-32 error headers, as nats.js `ServiceErrorHeader` / `ServiceErrorCodeHeader`. */
  serviceError: 'Nats-Service-Error',
  serviceErrorCode: 'Nats-Service-Error-Code',
} as const;

/** Whether `name` is a valid service or function name (see `NAME_PATTERN`). */
export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name);
}

/** The subject of a function; the names must already be valid (see `isValidName`). */
export function subjectFor(service: string, func: string): string {
  return `${SUBJECT_PREFIX}.${service}.${func}`;
}

/** `{ service, func }` of a mesh subject, or undefined when the subject is not one. */
export function parseSubject(subject: string): { service: string; func: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 3 || parts[0] !== SUBJECT_PREFIX) return undefined;
  const [, service, func] = parts;
  return isValidName(service) && isValidName(func) ? { service, func } : undefined;
}

/**
 * The headers of an error reply: the ADR-32 pair (message, status) and the mesh's code. The one
 * place that writes them; `errorOfHeaders` is the one place that reads them.
 */
export function errorHeaders(error: MeshError): MsgHdrs {
  const headers = natsHeaders();
  headers.set(MeshHeaders.serviceError, error.message.replace(/[\r\n]+/g, ' '));
  headers.set(MeshHeaders.serviceErrorCode, String(error.status));
  headers.set(MeshHeaders.errorCode, error.code);
  return headers;
}

/** The MeshError of a reply's headers, or undefined for a success. */
export function errorOfHeaders(headers: MsgHdrs | undefined): MeshError | undefined {
  const status = headers?.get(MeshHeaders.serviceErrorCode);
  if (!status) return undefined;
  const message = headers!.get(MeshHeaders.serviceError) || 'function failed';
  return new MeshError(Number(status), message, headers!.get(MeshHeaders.errorCode) || undefined);
}
