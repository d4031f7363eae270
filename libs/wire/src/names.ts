/**
 * The names of the mesh and their patterns (docs/protocol.md#names). Anything that does not match
 * is refused before it reaches a subject: no `.`, `*`, `>` or spaces, so no subject injection.
 */

/** Service, function, trigger and project names: letters, digits, `_` and `-`, 1 to 64 of them. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Event types: 1-128 characters of letters, digits and `.`, `_`, `:`, `-` (docs/events.md). */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** Event ids: 1-128 characters of letters, digits and `.`, `_`, `:`, `@`, `-`. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** An `X-Request-Id` the gateway keeps: 1-128 characters of `[A-Za-z0-9._-]` (else it makes one). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Whether `name` is a valid service or function name (see `NAME_PATTERN`). */
export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME_PATTERN.test(name);
}

/** Whether `type` is a valid event type (see `EVENT_TYPE_PATTERN`). */
export function isValidEventType(type: unknown): type is string {
  return typeof type === 'string' && EVENT_TYPE_PATTERN.test(type);
}

/** The message of a refused name: what it must match, written once. */
export const NAME_RULE = `must match ${NAME_PATTERN.source}`;

/** The message of a refused event type. */
export const EVENT_TYPE_RULE = 'must be 1-128 characters of [A-Za-z0-9._:-]';

/** The message of a refused event id. */
export const EVENT_ID_RULE = 'must be 1-128 characters of [A-Za-z0-9._:@-]';
