import { HttpStatus } from '@nestjs/common';

/**
 * The error codes the mesh itself produces (the table in docs/protocol.md). A function may use its
 * own codes too: `throw new MeshError(409, 'email taken', 'EMAIL_TAKEN')`.
 */
export const MeshCodes = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PROJECT_NOT_FOUND: 'PROJECT_NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  OVERLOADED: 'OVERLOADED',
  /** 503: queueing an event while the event store holds `maxPendingBytes`; docs/events.md. */
  STORE_FULL: 'STORE_FULL',
  /** 404: an admin route names an event the store does not hold; docs/events.md. */
  NOT_FOUND: 'NOT_FOUND',
  TIMEOUT: 'TIMEOUT',
  INTERNAL: 'INTERNAL',
  /** 500: the function's result is larger than the broker accepts (its max_payload); docs/protocol.md. */
  RESULT_TOO_LARGE: 'RESULT_TOO_LARGE',
} as const;

const CODE_PATTERN = /^[A-Z0-9_]{1,64}$/;

/**
 * The one error type of the mesh: an HTTP-like status (400-599), a human message and a code.
 * Thrown by a function, it reaches the caller with the same status, message and code.
 */
export class MeshError extends Error {
  /** The HTTP-like status, 400-599 (anything else given becomes 500). */
  readonly status: number;
  /** The machine-readable code, `[A-Z0-9_]{1,64}`; by default the one of the status (`codeForStatus`). */
  readonly code: string;

  /**
   * @param status 400-599; anything else becomes 500.
   * @param message the human message the caller sees (never put secrets in it).
   * @param code e.g. `EMAIL_TAKEN`; absent or not `[A-Z0-9_]{1,64}`: the code of the status.
   */
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'MeshError';
    this.status = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
    this.code = code !== undefined && CODE_PATTERN.test(code) ? code : codeForStatus(this.status);
  }

  /** The HTTP error body: `{"error": message, "code": code}`. */
  toJSON(): { error: string; code: string } {
    return { error: this.message, code: this.code };
  }
}

/** The conventional code of a status: 400 BAD_REQUEST, 404 NOT_FOUND, 504 TIMEOUT, ... */
export function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return MeshCodes.UNAUTHENTICATED;
    case 500:
      return MeshCodes.INTERNAL;
    case 504:
      return MeshCodes.TIMEOUT;
    default:
      return HttpStatus[status] ?? (status < 500 ? MeshCodes.BAD_REQUEST : MeshCodes.INTERNAL);
  }
}
