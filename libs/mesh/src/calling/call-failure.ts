import { EMIT_SUBJECT, MeshCodes, parseSubject } from '@nest-mesh/wire';
import { errorOfHeaders } from '../error-headers';
import { MeshError } from '../mesh-error';
import { publishFailure } from '../payload-limit';
import type { RequestFailure } from './request-mux';
import type { StreamFailure } from './stream-mux';

/**
 * The MeshError of a call that got no reply (docs/protocol.md#errors): 504 when it timed out, 503
 * when nobody serves the function, the broker is gone or refused the reply inbox, 413 when it is
 * larger than the broker accepts.
 */
export function callFailure(failure: RequestFailure): MeshError {
  const { service, func } = namesOf(failure.subject);
  switch (failure.kind) {
    case 'timeout':
      return new MeshError(504, `${service}.${func} did not answer within ${failure.timeout} ms`, MeshCodes.TIMEOUT);
    case 'no-responders':
      return new MeshError(503, `no instance serves ${service}.${func}`, MeshCodes.SERVICE_UNAVAILABLE);
    case 'publish':
      return publishFailure(failure.cause, service, func, failure.nc);
    case 'refused':
      return new MeshError(
        503,
        `the broker refused the reply inbox ${failure.inbox} (${(failure.cause as Error).message}); a mesh identity receives replies on _INBOX.<name>.> only: set inboxPrefix (docs/security.md)`,
        MeshCodes.SERVICE_UNAVAILABLE,
      );
    case 'lost':
      return failure.cause instanceof MeshError ? failure.cause : new MeshError(503, 'the connection to the broker was lost', MeshCodes.SERVICE_UNAVAILABLE);
  }
}

/** The names a subject's messages speak of: a function's, or `eventing.queue` for an emit. */
function namesOf(subject: string): { service: string; func: string } {
  if (subject === EMIT_SUBJECT) return { service: 'eventing', func: 'queue' };
  return parseSubject(subject) ?? { service: subject, func: '' };
}

/**
 * The MeshError of a stream that failed (docs/protocol.md#streams): the error the function ended it
 * with, 504 when an item or the end did not come in time, 503 SLOW_CONSUMER when a responder without
 * flow control got too far ahead, 502 when items went missing; else as `callFailure`.
 */
export function streamFailure(failure: StreamFailure): MeshError {
  const { service, func } = namesOf(failure.subject);
  switch (failure.kind) {
    case 'reply':
      return errorOfHeaders(failure.reply?.headers) ?? new MeshError(500, `function ${service}.${func} failed`, MeshCodes.INTERNAL);
    case 'timeout':
      return new MeshError(504, `${service}.${func} sent no item within ${failure.timeout} ms`, MeshCodes.TIMEOUT);
    case 'deadline':
      return new MeshError(504, `the stream of ${service}.${func} passed its deadline`, MeshCodes.TIMEOUT);
    case 'overflow':
      return new MeshError(503, `${service}.${func} sent more than ${failure.highWaterMark} items ahead of the reader`, MeshCodes.SLOW_CONSUMER);
    case 'broken':
      return new MeshError(502, `the stream of ${service}.${func} lost items (${failure.detail})`);
    default:
      return callFailure({ ...failure, kind: failure.kind });
  }
}
