import { isValidName, parseSubject, PARAMS_METADATA_KEY, RESULT_METADATA_KEY } from '@nest-mesh/wire';
import { nestsDeeperThan } from '../http/json-depth';
import type { SrvAnswers } from './srv-gather';

/**
 * The instances of mesh services, read from raw `$SRV` answers (ADR-32). Anything a service
 * sends is untrusted: an answer that is not JSON, has the wrong shape or oversized fields is
 * skipped or trimmed, and the reason is kept in `problems`; nothing here throws on bad input.
 * A params (or result) schema is checked for depth on its text before it is parsed, so nothing that later
 * walks a schema (the catalog, OpenAPI, JSON.stringify of a document) meets one deeper than
 * `maxDepth` (docs/discovery.md#params-schemas).
 */

/** A params (or result) schema announced by a service: a JSON Schema object (or boolean), or null for none. */
export type ParamsSchema = Record<string, unknown> | boolean | null;

export interface EndpointStats {
  requests: number;
  errors: number;
  /** Total and average processing time, in ms. */
  processingMs: number;
  averageMs: number;
  lastError: string;
}

export interface Instance {
  service: string;
  id: string;
  version: string;
  /** False when the instance answered PING but not INFO: its functions are unknown. */
  info: boolean;
  /** When it started (ISO time, from STATS), if known. */
  started?: string;
  /** Its functions (mesh endpoints) and their params schemas. */
  functions: Map<string, ParamsSchema>;
  /** The result schemas its functions announce (`nest-mesh.result`); a function without one is absent. */
  results: Map<string, ParamsSchema>;
  /** ADR-32 stats by function, when it answered STATS. */
  stats: Map<string, EndpointStats>;
}

export interface ParsedAnswers {
  instances: Instance[];
  problems: string[];
}

/** A params or result schema longer than this (characters of JSON) is taken as absent. */
const MAX_PARAMS_JSON = 64 * 1024;
/** ADR-32 ids are NUIDs; any printable id without spaces is taken, up to 128 characters. */
const INSTANCE_ID = /^[\x21-\x7e]{1,128}$/;
const MAX_TEXT = 256;

/** `maxDepth`: the deepest nesting (arrays and objects) of a params schema that is taken; deeper counts as none. */
export function parseSrvAnswers(answers: SrvAnswers, maxDepth: number): ParsedAnswers {
  const problems: string[] = [];
  const byKey = new Map<string, Instance>();
  const key = (service: string, id: string) => `${service} ${id}`;

  for (const data of answers.info) {
    const body = decode(data, 'INFO', problems);
    const head = body && headOf(body, 'INFO', problems);
    if (!body || !head) continue;
    const functions = new Map<string, ParamsSchema>();
    const results = new Map<string, ParamsSchema>();
    const endpoints = endpointsOf(body);
    if (!endpoints) problems.push(`INFO of ${head.service} ${head.id}: no endpoints list`);
    for (const endpoint of endpoints ?? []) {
      const func = meshFunctionOf(endpoint, head.service);
      if (func === undefined) continue;
      const where = `${head.service}.${func} of ${head.id}`;
      functions.set(func, schemaOf(endpoint, PARAMS_METADATA_KEY, where, maxDepth, problems));
      const result = schemaOf(endpoint, RESULT_METADATA_KEY, where, maxDepth, problems);
      if (result !== null) results.set(func, result);
    }
    if (functions.size === 0) continue; // not a mesh service (or none of its endpoints is a mesh function)
    if (byKey.has(key(head.service, head.id))) {
      problems.push(`${head.service} ${head.id} answered INFO more than once (the first answer counts)`);
      continue;
    }
    byKey.set(key(head.service, head.id), { ...head, info: true, functions, results, stats: new Map() });
  }

  const services = new Set([...byKey.values()].map((instance) => instance.service));
  for (const data of answers.ping) {
    const body = decode(data, 'PING', problems);
    const head = body && headOf(body, 'PING', problems);
    if (!head || !services.has(head.service) || byKey.has(key(head.service, head.id))) continue;
    byKey.set(key(head.service, head.id), { ...head, info: false, functions: new Map(), results: new Map(), stats: new Map() });
    problems.push(`${head.service} ${head.id} answered PING but not INFO`);
  }

  for (const data of answers.stats) {
    const body = decode(data, 'STATS', problems);
    const head = body && headOf(body, 'STATS', problems);
    const instance = head && byKey.get(key(head.service, head.id));
    if (!body || !instance) continue;
    if (typeof body.started === 'string' && body.started.length <= MAX_TEXT) instance.started = body.started;
    for (const endpoint of Array.isArray(body.endpoints) ? body.endpoints : []) {
      const func = meshFunctionOf(endpoint, instance.service);
      if (func !== undefined) instance.stats.set(func, statsOf(endpoint as Record<string, unknown>));
    }
    // The earlier micro API counts its one endpoint at the top level of STATS.
    if (!Array.isArray(body.endpoints) && 'num_requests' in body && instance.functions.size === 1) {
      instance.stats.set([...instance.functions.keys()][0], statsOf(body));
    }
  }
  return { instances: [...byKey.values()], problems };
}

function decode(data: Uint8Array, verb: string, problems: string[]): Record<string, unknown> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    problems.push(`a ${verb} answer is not JSON (${data.length} bytes)`);
    return undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problems.push(`a ${verb} answer is not a JSON object`);
    return undefined;
  }
  return body as Record<string, unknown>;
}

function headOf(body: Record<string, unknown>, verb: string, problems: string[]): Pick<Instance, 'service' | 'id' | 'version'> | undefined {
  const { name, id, version } = body;
  if (!isValidName(name) || typeof id !== 'string' || !INSTANCE_ID.test(id)) {
    problems.push(`a ${verb} answer has no valid name and id`);
    return undefined;
  }
  return { service: name, id, version: typeof version === 'string' && version.length <= MAX_TEXT ? version : '' };
}

/**
 * The endpoints of an INFO answer: ADR-32's `endpoints`, or, from services of the earlier micro
 * API (nats.go before 1.24, docs/discovery.md), one per subject: its top-level `subject` (nats.go
 * 1.20-1.22: one endpoint per service) or `subjects` (1.23). Undefined when there is none of these.
 */
function endpointsOf(body: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(body.endpoints)) return body.endpoints;
  if (typeof body.subject === 'string') return [{ subject: body.subject }];
  if (Array.isArray(body.subjects)) return body.subjects.map((subject: unknown) => ({ subject }));
  return undefined;
}

/** The function an endpoint serves, when its subject is `mesh.<service>.<func>` of this service. */
function meshFunctionOf(endpoint: unknown, service: string): string | undefined {
  if (endpoint === null || typeof endpoint !== 'object') return undefined;
  const subject = (endpoint as { subject?: unknown }).subject;
  if (typeof subject !== 'string' || subject.length > MAX_TEXT) return undefined;
  const names = parseSubject(subject);
  return names && names.service === service ? names.func : undefined;
}

/** The schema an endpoint announces under the metadata key `key` (params or result); null when none, or a bad one. */
function schemaOf(endpoint: unknown, key: string, where: string, maxDepth: number, problems: string[]): ParamsSchema {
  const metadata = (endpoint as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== 'object') return null;
  const json = (metadata as Record<string, unknown>)[key];
  if (json === undefined || json === null) return null;
  if (typeof json !== 'string') {
    problems.push(`${where}: ${key} is not a string`);
    return null;
  }
  if (json.length > MAX_PARAMS_JSON) {
    problems.push(`${where}: ${key} is over ${MAX_PARAMS_JSON} characters`);
    return null;
  }
  if (nestsDeeperThan(json, maxDepth)) {
    problems.push(`${where}: ${key} is nested deeper than ${maxDepth} levels`);
    return null;
  }
  let schema: unknown;
  try {
    schema = JSON.parse(json);
  } catch {
    problems.push(`${where}: ${key} is not JSON`);
    return null;
  }
  if (typeof schema === 'boolean' || (schema !== null && typeof schema === 'object' && !Array.isArray(schema))) {
    return schema as ParamsSchema;
  }
  problems.push(`${where}: ${key} is not a JSON Schema`);
  return null;
}

function statsOf(endpoint: Record<string, unknown>): EndpointStats {
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
  const lastError = typeof endpoint.last_error === 'string' ? endpoint.last_error.slice(0, MAX_TEXT) : '';
  // ADR-32 times are in nanoseconds.
  return {
    requests: count(endpoint.num_requests),
    errors: count(endpoint.num_errors),
    processingMs: count(endpoint.processing_time) / 1e6,
    averageMs: count(endpoint.average_processing_time) / 1e6,
    lastError,
  };
}
