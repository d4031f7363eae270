import { MeshCodes, MeshError } from 'nest-mesh';
import type { BodyLimit } from './body-limit';
import { nestsDeeperThan } from './json-depth';

/** One decoder, for the whole process: `fatal` makes invalid UTF-8 an error instead of U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The answers to a body the gateway refuses, the same on both HTTP adapters. */
export const BodyErrors = {
  tooLarge: () => new MeshError(413, 'request body is over the size limit', MeshCodes.PAYLOAD_TOO_LARGE),
  encoded: () => new MeshError(415, 'request body must not be compressed (Content-Encoding)', MeshCodes.BAD_REQUEST),
  notUtf8: () => new MeshError(400, 'request body is not valid UTF-8', MeshCodes.BAD_REQUEST),
  notJson: () => new MeshError(400, 'request body is not valid JSON', MeshCodes.BAD_REQUEST),
  tooDeep: (maxDepth: number) => new MeshError(400, `params are nested deeper than ${maxDepth} levels`, MeshCodes.BAD_REQUEST),
} as const;

/**
 * Turns the raw bytes of a request body into its JSON value, for both HTTP adapters: an empty
 * body is undefined; a body over the limit (see BodyLimit), bytes that are not UTF-8, params
 * nested deeper than `maxDepth` (checked on the text, without recursion, before parsing) or text
 * that is not JSON throw the MeshError of `BodyErrors`. Nothing of the body is ever altered.
 */
export class RequestBodyDecoder {
  /** The body is one level more than its params: `{"params": ...}`. */
  private readonly maxBodyDepth: number;

  constructor(
    private readonly maxDepth: number,
    readonly limit: BodyLimit,
  ) {
    this.maxBodyDepth = maxDepth + 1;
  }

  /**
   * Refuses, before any of the body is read, a request whose Content-Length is over the limit
   * (express would otherwise read the whole body, or wait for it, before answering; fastify does not).
   */
  checkLength(contentLength: string | undefined): void {
    if (contentLength !== undefined && Number(contentLength) > this.limit.current) throw BodyErrors.tooLarge();
  }

  /** `contentEncoding`: the request's Content-Encoding header; only `identity` (or none) is read. */
  decode(body: Buffer | undefined, contentEncoding?: string): unknown {
    if (body === undefined || body.length === 0) return undefined;
    if (contentEncoding !== undefined && contentEncoding.toLowerCase() !== 'identity') throw BodyErrors.encoded();
    if (body.length > this.limit.current) throw BodyErrors.tooLarge();
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      throw BodyErrors.notUtf8();
    }
    if (nestsDeeperThan(text, this.maxBodyDepth)) throw BodyErrors.tooDeep(this.maxDepth);
    try {
      return JSON.parse(text);
    } catch {
      throw BodyErrors.notJson();
    }
  }
}
