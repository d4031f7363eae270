/**
 * Which request bodies the gateway reads: JSON, declared as such (docs/security.md#browsers).
 * A page on another origin can POST `text/plain`, a form or no Content-Type at all without a CORS
 * preflight, but never `application/json`: so a POST that is not declared JSON is refused before
 * its body is read, and `http.cors` cannot be bypassed.
 */

const JSON_TYPE = 'application/json';

/** `application/<x>+json` (RFC 6839), the type already lower-cased and without parameters. Compiled once. */
const JSON_SUFFIX_TYPE = /^application\/[a-z0-9!#$&^_.+-]+\+json$/;

/** Whether a Content-Type header names JSON: `application/json` or `application/<x>+json`, with or without parameters, in any case. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === JSON_TYPE) return true; // what clients send: one comparison
  const semicolon = contentType.indexOf(';');
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === JSON_TYPE || JSON_SUFFIX_TYPE.test(type);
}

/** Whether the headers announce a body: a Transfer-Encoding, or a Content-Length other than 0 (as fastify counts it). */
export function announcesBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
