import { EVENT_STREAM_CONTENT_TYPE } from '@nest-mesh/wire';
import type { CatalogService, CallableFunction } from './services-listing';
import type { ParamsSchema } from './srv-answers';

/**
 * `GET /v1/api/{project}/openapi.json` as data: an OpenAPI 3.1 document with one path per
 * callable function (docs/discovery.md). Nested schemas a service bundled under `$defs` move to
 * `components.schemas` (a `$ref` in OpenAPI points into the whole document); a `$ref` that would
 * not resolve there is dropped (that part of the params is then unchecked).
 */

type Json = Record<string, unknown>;

/** The answer to a call asked with `Accept: text/event-stream` (docs/protocol.md#streams-over-http). */
const EVENT_STREAM_SCHEMA: Json = {
  type: 'string',
  description:
    'Asked with `Accept: text/event-stream`: server-sent events, `event: item` with each item as JSON data (a function that does not stream gives one), then `event: end` with `{"count"}`, or `event: error` with `{"error", "code", "status"}`.',
};

/** Statuses the gateway itself answers on any call (docs/protocol.md#calling-over-http-the-gateway). */
const ERROR_RESPONSES: readonly [status: string, description: string][] = [
  ['400', 'BAD_REQUEST: the body is not a JSON object, or `timeout` is out of range'],
  ['401', 'UNAUTHENTICATED: the token is invalid, or the rule needs one and none was sent'],
  ['403', 'FORBIDDEN: the rule denies the call'],
  ['404', 'PROJECT_NOT_FOUND'],
  ['413', 'PAYLOAD_TOO_LARGE'],
  ['429', 'RATE_LIMITED: see Retry-After'],
  ['500', 'INTERNAL: the function failed'],
  ['503', 'SERVICE_UNAVAILABLE or OVERLOADED: no instance, no broker, or too many calls in flight'],
  ['504', 'TIMEOUT: no reply within the timeout'],
];

export function openApiOf(project: string, catalog: CatalogService[], maxTimeout: number): Json {
  const schemas: Json = {
    Error: {
      type: 'object',
      description: 'Every error answer of the gateway',
      required: ['error', 'code'],
      properties: { error: { type: 'string', description: 'A human message' }, code: { type: 'string', examples: ['FORBIDDEN'] } },
    },
  };
  const paths: Json = {};
  for (const service of catalog) {
    for (const func of service.functions) {
      paths[`/v1/api/${project}/functions/${service.name}/${func.name}`] = {
        post: operationOf(service.name, func, maxTimeout, schemas),
      };
    }
  }
  const requestId = { $ref: '#/components/headers/RequestId' };
  const responses: Json = {};
  for (const [status, description] of ERROR_RESPONSES) {
    responses[`Error${status}`] = {
      description,
      headers: { 'X-Request-Id': requestId },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  responses.ErrorOfFunction = { ...(responses.Error500 as Json), description: 'An error the function threw, with its own status and code' };
  return {
    openapi: '3.1.0',
    info: { title: `nest-mesh project ${project}`, version: '1.0.0', description: 'The functions this gateway lets callers call.' },
    tags: catalog.filter((s) => s.functions.length > 0).map((s) => ({ name: s.name, description: tagDescriptionOf(s) })),
    paths,
    components: {
      schemas,
      responses,
      headers: { RequestId: { description: 'The request id (yours when it was well-formed)', schema: { type: 'string' } } },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

function operationOf(service: string, func: CallableFunction, maxTimeout: number, schemas: Json): Json {
  const params = hoistDefs(func.params, `${service}.${func.name}.`, schemas);
  const result = hoistDefs(func.result, `${service}.${func.name}.result.`, schemas);
  const body: Json = {
    type: 'object',
    properties: {
      params: func.params === null ? { description: 'Any JSON (the function announced no schema)' } : params,
      timeout: { type: 'integer', minimum: 1, maximum: maxTimeout, description: 'Milliseconds to wait for the result' },
    },
  };
  if (func.params !== null) body.required = ['params'];
  const responses: Json = {
    '200': {
      description: 'The result of the function',
      headers: { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } },
      content: {
        'application/json': {
          schema: { type: 'object', required: ['result'], properties: { result: func.result === null ? { description: 'Any JSON (the function declared no result type)' } : result } },
        },
        [EVENT_STREAM_CONTENT_TYPE]: { schema: EVENT_STREAM_SCHEMA },
      },
    },
  };
  for (const [status] of ERROR_RESPONSES) responses[status] = { $ref: `#/components/responses/Error${status}` };
  responses.default = { $ref: '#/components/responses/ErrorOfFunction' };
  const operation: Json = {
    operationId: `${service}.${func.name}`,
    tags: [service],
    summary: `${service}.${func.name}`,
    description: descriptionOf(func),
    requestBody: { required: func.params !== null, content: { 'application/json': { schema: body } } },
    responses,
  };
  if (func.rule.token === 'required') operation.security = [{ bearer: [] }];
  if (func.rule.token === 'optional') operation.security = [{ bearer: [] }, {}];
  return operation;
}

function descriptionOf(func: CallableFunction): string {
  const lines = [`Rule: ${func.rule.kind} (${func.rule.path}).`];
  if (func.rule.token === 'required') lines.push('A bearer token is required.');
  if (func.rule.token === 'optional') lines.push('A bearer token may change the decision.');
  if (func.conflicts) lines.push(`Instances announce ${func.conflicts.length} different params schemas; this is the one most of them announce.`);
  return lines.join(' ');
}

function tagDescriptionOf(service: CatalogService): string {
  const conflicts = service.versionConflicts ? ` (instances announce ${service.versionConflicts.length} versions; this is the one most of them announce)` : '';
  return `service ${service.name} ${service.version}${conflicts}`;
}

/**
 * A copy of `schema` whose `$defs` (or `definitions`) are added to `schemas` under `prefix` + name,
 * with its `$ref`s pointed there; `$schema` is left out (the document's dialect applies).
 */
function hoistDefs(schema: ParamsSchema, prefix: string, schemas: Json): ParamsSchema {
  if (schema === null || typeof schema === 'boolean') return schema;
  const renamed = new Map<string, string>();
  for (const keyword of ['$defs', 'definitions']) {
    const defs = schema[keyword];
    if (defs === null || typeof defs !== 'object' || Array.isArray(defs)) continue;
    for (const name of Object.keys(defs)) {
      renamed.set(`#/${keyword}/${name}`, `#/components/schemas/${prefix}${name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    }
  }
  // Recursive, but never deeper than http.maxDepth: deeper schemas count as none (srv-answers.ts).
  // Object.fromEntries keeps a key named `__proto__` as a property (an assignment would set the prototype).
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== 'object') return node;
    const out: [string, unknown][] = [];
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') {
        const target = typeof value === 'string' ? renamed.get(value) : undefined;
        if (target) out.push([key, target]);
      } else {
        out.push([key, rewrite(value)]);
      }
    }
    return Object.fromEntries(out);
  };
  for (const keyword of ['$defs', 'definitions']) {
    const defs = schema[keyword] as Json | undefined;
    if (defs === null || typeof defs !== 'object' || Array.isArray(defs)) continue;
    for (const [name, def] of Object.entries(defs)) {
      schemas[renamed.get(`#/${keyword}/${name}`)!.slice('#/components/schemas/'.length)] = rewrite(def);
    }
  }
  const { $defs: _d, definitions: _o, $schema: _s, ...rest } = schema;
  return rewrite(rest) as ParamsSchema;
}
