import { HttpStatus } from '@nestjs/common';

/** The codes of CONTRACT section 2 that the mesh itself produces. */
export const MeshCodes = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PROJECT_NOT_FOUND: 'PROJECT_NOT_FOUND',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
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
  readonly status: number;
  readonly code: string;

  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'MeshError';
    this.status = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
    this.code = code !== undefined && CODE_PATTERN.test(code) ? code : codeForStatus(this.status);
  }

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
