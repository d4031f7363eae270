import { MeshCodes, MeshError } from 'nest-mesh';
import type { BodyLimit } from './body-limit';
import { nestsDeeperThan } from './json-depth';
import { announcesBody, isJsonMediaType } from './media-type';

/** One decoder, for the whole process: `fatal` makes invalid UTF-8 an error instead of U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The answers to a body the gateway refuses, the same on both HTTP adapters. */
export const BodyErrors = {
  tooLarge: () => new MeshError(413, 'request body is over the size limit', MeshCodes.PAYLOAD_TOO_LARGE),
  notJsonType: () => new MeshError(415, 'request Content-Type must be application/json', MeshCodes.UNSUPPORTED_MEDIA_TYPE),
  encoded: () => new MeshError(415, 'request body must not be compressed (Content-Encoding)', MeshCodes.UNSUPPORTED_MEDIA_TYPE),
  notUtf8: () => new MeshError(400, 'request body is not valid UTF-8', MeshCodes.BAD_REQUEST),
  notJson: () => new MeshError(400, 'request body is not valid JSON', MeshCodes.BAD_REQUEST),
  tooDeep: (maxDepth: number) => new MeshError(400, `params are nested deeper than ${maxDepth} levels`, MeshCodes.BAD_REQUEST),
} as const;

type RequestHeaders = { 'content-type'?: string; 'content-length'?: string; 'transfer-encoding'?: string };

/**
 * For the routes that take a body (calls, queueing): a POST that sent neither a body nor a
 * Content-Type got past the body reader (a bodiless admin POST, such as retry, needs neither), but
 * a page on another origin can send one without a preflight: 415 for it too, before anything runs.
 */
export function requireJsonPost(headers: { 'content-type'?: string | string[] }): void {
  if (headers['content-type'] === undefined) throw BodyErrors.notJsonType();
}

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
   * Refuses, before any of the body is read: a POST whose Content-Type is not JSON (415; a POST with
   * neither a Content-Type nor a body passes, see `requireJsonPost`), then a Content-Length over the
   * limit (express would otherwise read the whole body, or wait for it, before answering).
   */
  checkHeaders(method: string, headers: RequestHeaders): void {
    if (method === 'POST') {
      const contentType = headers['content-type'];
      if (!isJsonMediaType(contentType) && (contentType !== undefined || announcesBody(headers))) throw BodyErrors.notJsonType();
    }
    const contentLength = headers['content-length'];
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
