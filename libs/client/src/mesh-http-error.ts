/**
 * Codes the client itself gives, when there is no answer of the gateway to take one from
 * (status 0), or the answer is not the gateway's JSON (the status is kept).
 * Every other code comes from the gateway: see the error table of docs/protocol.md.
 */
export const MeshHttpCodes = {
  /** The gateway could not be reached (down, wrong URL, network, CORS). Status 0. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** The call was aborted through its `signal`. Status 0. */
  ABORTED: 'ABORTED',
  /** No answer within the call's `timeout` plus a grace period, e.g. a gateway that hangs. Status 0. */
  TIMEOUT: 'TIMEOUT',
  /** The answer is not the gateway's JSON (a proxy's HTML page, a cut body). Its status is kept. */
  BAD_RESPONSE: 'BAD_RESPONSE',
} as const;

/**
 * The one error of 'nest-mesh/client': a call or an emit that did not succeed.
 * `status` is the HTTP status (0 when there was no answer), `code` the gateway's code
 * (e.g. FORBIDDEN, TIMEOUT, or the function's own) or one of `MeshHttpCodes`, `message` the
 * human message, `requestId` the call's X-Request-Id ('' when unknown), to find it in the logs.
 */
export class MeshHttpError extends Error {
  override readonly name = 'MeshHttpError';

  constructor(
    /** The HTTP status of the answer; 0 when there was none. */
    readonly status: number,
    /** The gateway's error code, or one of `MeshHttpCodes`. */
    readonly code: string,
    message: string,
    /** The request id of the call (`X-Request-Id`), '' when unknown. */
    readonly requestId: string = '',
  ) {
    super(message);
  }

  /** `{status, code, message, requestId}`, e.g. for logging or passing on. */
  toJSON(): { status: number; code: string; message: string; requestId: string } {
    return { status: this.status, code: this.code, message: this.message, requestId: this.requestId };
  }
}
