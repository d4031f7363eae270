import { RpcException } from '@nestjs/microservices';
import { CODE_PATTERN, codeForStatus, isErrorStatus } from '@nest-mesh/wire';

/**
 * The one error type of the mesh: an HTTP-like status (400-599), a human message and a code
 * (`MeshCodes`, or a function's own, e.g. `EMAIL_TAKEN`). Thrown by a function, it reaches the
 * caller with the same status, message and code (docs/getting-started.md#errors).
 *
 * It is Nest's `RpcException` whose error is `{status, code, message}`: Nest's exception filters
 * treat it as an error meant for the caller (not logged as a failure), and a `Transport.NATS`
 * caller receives that object as its error.
 */
export class MeshError extends RpcException {
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
    const kept = isErrorStatus(status) ? status : 500;
    const valid = code !== undefined && CODE_PATTERN.test(code) ? code : codeForStatus(kept);
    super({ status: kept, code: valid, message });
    this.name = 'MeshError';
    this.status = kept;
    this.code = valid;
  }

  /** The HTTP error body: `{"error": message, "code": code}`. */
  toJSON(): { error: string; code: string } {
    return { error: this.message, code: this.code };
  }
}
