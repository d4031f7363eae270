import { MAX_DELAY_MS } from '@nest-mesh/eventing';
import { EVENT_ID_PATTERN, EVENT_ID_RULE, EVENT_TYPE_RULE, isValidEventType } from '@nest-mesh/wire';
import { MeshCodes, MeshError } from 'nest-mesh';

/** A queue request, checked: `POST .../eventing/queue` or `MeshClient.emit` (docs/events.md). */
export interface QueueRequest {
  type: string;
  payload: unknown;
  id?: string;
  /** Milliseconds before delivery. */
  delay: number;
  /** The payload's JSON, already made (its size was checked). */
  payloadJson: string;
}

/** Checks a queue body: 400 BAD_REQUEST for a bad shape, type, id or delay; 413 for a payload over `maxPayload` bytes. */
export function parseQueueRequest(body: unknown, maxPayload: number): QueueRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad('request body must be a JSON object');
  const { type, payload = null, id, delay = 0, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) bad(`unknown field "${unknown[0]}" (expected type, payload, id, delay)`);
  if (typeof type !== 'string') bad('type is required and must be a string');
  if (!isValidEventType(type)) bad(`type ${EVENT_TYPE_RULE}`);
  if (id !== undefined && (typeof id !== 'string' || !EVENT_ID_PATTERN.test(id))) {
    bad(`id ${EVENT_ID_RULE}`);
  }
  if (typeof delay !== 'number' || !Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_MS) {
    bad(`delay must be an integer from 0 to ${MAX_DELAY_MS} (milliseconds)`);
  }
  const payloadJson = JSON.stringify(payload);
  if (Buffer.byteLength(payloadJson) > maxPayload) {
    throw new MeshError(413, `payload is over ${maxPayload} bytes`, MeshCodes.PAYLOAD_TOO_LARGE);
  }
  return { type: type as string, payload, id: id as string | undefined, delay: delay as number, payloadJson };
}

function bad(message: string): never {
  throw new MeshError(400, message, MeshCodes.BAD_REQUEST);
}
