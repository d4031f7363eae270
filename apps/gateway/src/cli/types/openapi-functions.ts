import { isValidName } from '@nest-mesh/wire';
import { JsonSchema } from './schema-to-ts';

/** One callable function found in an OpenAPI document of the gateway. */
export interface OpenApiFunction {
  service: string;
  func: string;
  /** The schema of `params` (undefined: anything). */
  params?: JsonSchema;
  /** The schema of `result` (undefined: anything). */
  result?: JsonSchema;
}

/** `.../functions/<service>/<func>`: the names, when both are valid. */
function functionOfPath(path: string): { service: string; func: string } | undefined {
  const [func, service, functions] = path.split('/').reverse();
  return functions === 'functions' && isValidName(service) && isValidName(func) ? { service, func } : undefined;
}

/**
 * The functions of the gateway's `GET /v1/api/{project}/openapi.json` (docs/discovery.md): one
 * `POST .../functions/{service}/{func}` path each, whose JSON request body is `{params, timeout}`
 * and whose 200 answer is `{result}`. Throws when `doc` is not an OpenAPI 3 document.
 */
export function openApiFunctions(doc: unknown): OpenApiFunction[] {
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.')) {
    throw new Error('not an OpenAPI 3 document (no "openapi": "3.x" field)');
  }
  const paths = isObject(doc.paths) ? doc.paths : {};
  const found: OpenApiFunction[] = [];
  for (const [path, item] of Object.entries(paths)) {
    const match = functionOfPath(path);
    const post = isObject(item) ? item.post : undefined;
    if (!match || !isObject(post)) continue;
    const body = jsonSchemaOf(doc, dig(post, 'requestBody'));
    const ok = isObject(post.responses) ? post.responses['200'] : undefined;
    found.push({
      service: match.service,
      func: match.func,
      params: propertyOf(doc, body, 'params'),
      result: propertyOf(doc, jsonSchemaOf(doc, ok), 'result'),
    });
  }
  return found.sort((a, b) => a.service.localeCompare(b.service) || a.func.localeCompare(b.func));
}

/** The `application/json` schema of a request body or response (following `$ref`s). */
function jsonSchemaOf(doc: Record<string, unknown>, holder: unknown): unknown {
  const content = dig(resolve(doc, holder), 'content');
  return resolve(doc, dig(isObject(content) ? content['application/json'] : undefined, 'schema'));
}

function propertyOf(doc: Record<string, unknown>, schema: unknown, name: string): JsonSchema | undefined {
  const properties = dig(schema, 'properties');
  const value = isObject(properties) ? properties[name] : undefined;
  return isObject(value) || typeof value === 'boolean' ? (value as JsonSchema) : undefined;
}

/** Follows a local `$ref` (`#/components/...`), a few hops at most. */
export function resolve(doc: Record<string, unknown>, value: unknown): unknown {
  for (let hops = 0; hops < 8 && isObject(value) && typeof value.$ref === 'string'; hops++) {
    value = pointer(doc, value.$ref);
  }
  return value;
}

/** The value at a local JSON pointer such as `#/components/schemas/CreateUser`, else undefined. */
export function pointer(doc: Record<string, unknown>, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let value: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    value = isObject(value) ? value[key] : undefined;
  }
  return value;
}

function dig(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
