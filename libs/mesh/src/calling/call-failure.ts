import { EMIT_SUBJECT, MeshCodes, parseSubject } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';
import { publishFailure } from '../payload-limit';
import type { RequestFailure } from './request-mux';

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
