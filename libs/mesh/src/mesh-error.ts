import { CODE_PATTERN, codeForStatus, isErrorStatus } from '@nest-mesh/wire';

/**
 * The one error type of the mesh: an HTTP-like status (400-599), a human message and a code
 * (`MeshCodes`, or a function's own, e.g. `EMAIL_TAKEN`). Thrown by a function, it reaches the
 * caller with the same status, message and code (docs/protocol.md#errors).
 */
export class MeshError extends Error {
  /** The HTTP-like status, 400-599 (anything else given becomes 500). */
  readonly status: number;
  /** The machine-readable code, `[A-Z0-9_]{1,64}`; by default the one of the status (404: NOT_FOUND). */
  readonly code: string;

  /**
   * @param status 400-599; anything else becomes 500.
   * @param message the human message the caller sees (never put secrets in it).
   * @param code e.g. `EMAIL_TAKEN`; absent or not `[A-Z0-9_]{1,64}`: the code of the status.
   */
  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'MeshError';
    this.status = isErrorStatus(status) ? status : 500;
    this.code = code !== undefined && CODE_PATTERN.test(code) ? code : codeForStatus(this.status);
  }

  /** The HTTP error body: `{"error": message, "code": code}`. */
  toJSON(): { error: string; code: string } {
    return { error: this.message, code: this.code };
  }
}
