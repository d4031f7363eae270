/** JSON on the wire: UTF-8 bytes; an empty payload is `null`. */

const NULL = Buffer.from('null');

/** A value as a JSON payload; `undefined` and `null` both become `null`. */
export function encodeJson(value: unknown): Uint8Array {
  return value === undefined || value === null ? NULL : Buffer.from(JSON.stringify(value));
}

/** A JSON payload as a value; an empty payload is `null`. */
export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(jsonText(data));
}

/** The JSON text of a payload, not parsed: `null` when it is empty. */
export function jsonText(data: Uint8Array): string {
  if (data.length === 0) return 'null';
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
}
