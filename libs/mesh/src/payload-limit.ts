import { ErrorCode, NatsConnection, NatsError } from 'nats';
import { MeshCodes } from '@nest-mesh/wire';
import { MeshError } from './mesh-error';

/**
 * What happens when a message is larger than the broker accepts (its `max_payload`, sent in
 * INFO; nats.js refuses to publish it): the caller and the service learn that it is a size
 * problem, never a false "broker unreachable" (docs/protocol.md#limits).
 */

export function isMaxPayloadError(error: unknown): boolean {
  return error instanceof NatsError && error.code === ErrorCode.MaxPayloadExceeded;
}

/** The broker's max_payload on `nc`, or undefined when it has not said. */
export function maxPayloadOf(nc: NatsConnection | undefined): number | undefined {
  return nc?.info?.max_payload;
}

/** Why a call could not be published: 413 when it is too large, else 503 (the broker is unreachable). */
export function publishFailure(error: unknown, service: string, func: string, nc: NatsConnection): MeshError {
  if (isMaxPayloadError(error)) {
    return new MeshError(413, `the call to ${service}.${func} is larger than the broker accepts (max_payload ${maxPayloadOf(nc)} bytes)`, MeshCodes.PAYLOAD_TOO_LARGE);
  }
  return new MeshError(503, `the broker is unreachable (${(error as Error).message})`, MeshCodes.SERVICE_UNAVAILABLE);
}

/** The answer of a service whose result does not fit: 500 RESULT_TOO_LARGE, naming the function and the sizes. */
export function resultTooLarge(service: string, func: string, bytes: number, nc: NatsConnection | undefined): MeshError {
  const max = maxPayloadOf(nc);
  return new MeshError(
    500,
    `the result of ${service}.${func} (${bytes} bytes) is larger than the broker accepts${max === undefined ? '' : ` (max_payload ${max} bytes)`}`,
    MeshCodes.RESULT_TOO_LARGE,
  );
}
