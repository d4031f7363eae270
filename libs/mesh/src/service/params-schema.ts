import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { PARAMS_METADATA_KEY, RESULT_METADATA_KEY } from '@nest-mesh/wire';

// class-transformer keeps its `@Type()` metadata here; its package has no typings for this path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

/**
 * The JSON Schema of a function's params, derived from the class-validator DTO its method takes,
 * and announced in the function's ADR-32 endpoint metadata under `nest-mesh.params`; likewise the
 * schema of the result type it declares (`@MeshFunction(name, { result })`), under
 * `nest-mesh.result` (docs/discovery.md, docs/protocol.md). Worked out once, when the service starts.
 */

/** A schema whose JSON is longer than this (in UTF-8 bytes) is not announced: INFO stays small. */
export const PARAMS_SCHEMA_LIMIT = 8 * 1024;

const DEFS = '#/$defs/';
const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** Types that are not DTOs: a method typed with one of them (or with an interface: Object) has no schema. */
const NOT_DTOS: readonly unknown[] = [Object, String, Number, Boolean, Array, Symbol, BigInt, Function, Promise, Date, Map, Set];

export type JsonSchema = Record<string, unknown>;

/** What `@MeshFunction(name, { result })` takes: a class-validator DTO, `[Dto]` (an array of them), `String`, `Number` or `Boolean`. */
export type ResultType = Function | [Function];

/** JSON Schemas of the primitive result types. */
const PRIMITIVE_SCHEMAS = new Map<unknown, JsonSchema>([
  [String, { type: 'string' }],
  [Number, { type: 'number' }],
  [Boolean, { type: 'boolean' }],
]);

/**
 * The schema of `dto`, standing alone: nested DTOs (`@ValidateNested()` with `@Type(() => Nested)`)
 * are bundled under `$defs` and referenced as `#/$defs/<ClassName>`. Undefined when `dto` is not a
 * class with class-validator decorators.
 */
export function paramsSchemaOf(dto: unknown): JsonSchema | undefined {
  if (!isDtoClass(dto)) return undefined;
  const options = { refPointerPrefix: DEFS, classTransformerMetadataStorage: defaultMetadataStorage };
  const defs: Record<string, JsonSchema> = {};
  const done = new Map<string, Function>();
  const pending: Function[] = [dto];
  let root: JsonSchema | undefined;
  while (pending.length > 0) {
    const current = pending.pop()!;
    const known = done.get(current.name);
    if (known === current) continue;
    if (known !== undefined) throw new Error(`two different classes named ${current.name} in the params of one function`);
    done.set(current.name, current);
    const schema = targetConstructorToSchema(current, options) as JsonSchema;
    if (current === dto) root = schema;
    else defs[current.name] = schema;
    pending.push(...nestedClassesOf(current));
  }
  const referenced = new Set<string>();
  collectRefs(root, referenced);
  for (const def of Object.values(defs)) collectRefs(def, referenced);
  if (referenced.has(dto.name)) defs[dto.name] = root!; // a DTO that contains itself
  dropUnresolvedRefs(root, defs);
  for (const def of Object.values(defs)) dropUnresolvedRefs(def, defs);
  return Object.keys(defs).length > 0 ? { $schema: SCHEMA_DIALECT, ...root, $defs: defs } : { $schema: SCHEMA_DIALECT, ...root };
}

/**
 * The schema of a declared result type: a DTO's (as `paramsSchemaOf`), an array of a DTO's, or a
 * primitive's. Undefined when `type` is none of these.
 */
export function resultSchemaOf(type: unknown): JsonSchema | undefined {
  if (Array.isArray(type)) {
    const items = type.length === 1 ? resultSchemaOf(type[0]) : undefined;
    if (items === undefined) return undefined;
    const { $schema, $defs, ...item } = items;
    return { $schema, type: 'array', items: item, ...($defs !== undefined && { $defs }) };
  }
  const primitive = PRIMITIVE_SCHEMAS.get(type);
  return primitive ? { $schema: SCHEMA_DIALECT, ...primitive } : paramsSchemaOf(type);
}

/** What a function's endpoint announces about its params and result: `{ 'nest-mesh.params': json, 'nest-mesh.result': json }`, or less. */
export interface ParamsAnnouncement {
  metadata?: Record<string, string>;
  /** Why a schema is not announced although there is a type (too large, not derivable), for one warning each. */
  warning?: string;
  /** The result type given is none `@MeshFunction` takes (a start-up warning). */
  resultWarning?: string;
}

/**
 * The endpoint metadata of a function whose method takes `dto` and that declares `result`; a
 * schema over `limit` bytes is left out.
 */
export function paramsAnnouncement(dto: unknown, limit = PARAMS_SCHEMA_LIMIT, result?: unknown): ParamsAnnouncement {
  const announcement: ParamsAnnouncement = {};
  const params = announced('params', () => paramsSchemaOf(dto), limit);
  const returned = result === undefined ? {} : announced('result', () => resultSchemaOf(result), limit);
  if (result !== undefined && returned.json === undefined && returned.warning === undefined) {
    announcement.resultWarning = 'its result type is not a class-validator DTO, [DTO], String, Number or Boolean; no result schema announced';
  }
  const warnings = [params.warning, returned.warning].filter((warning) => warning !== undefined);
  if (warnings.length > 0) announcement.warning = warnings.join('; ');
  if (params.json !== undefined || returned.json !== undefined) {
    announcement.metadata = {
      ...(params.json !== undefined && { [PARAMS_METADATA_KEY]: params.json }),
      ...(returned.json !== undefined && { [RESULT_METADATA_KEY]: returned.json }),
    };
  }
  return announcement;
}

function announced(what: string, schemaOf: () => JsonSchema | undefined, limit: number): { json?: string; warning?: string } {
  let schema: JsonSchema | undefined;
  try {
    schema = schemaOf();
  } catch (error) {
    return { warning: `no ${what} schema announced: ${(error as Error).message}` };
  }
  if (schema === undefined) return {};
  const json = JSON.stringify(schema);
  const size = Buffer.byteLength(json);
  if (size > limit) return { warning: `${what} schema of ${size} bytes is over ${limit}; not announced` };
  return { json };
}

/** Whether `value` is a class with class-validator decorators: a DTO (whose schema is announced, and which the mesh validates). */
export function isDtoClass(value: unknown): value is Function {
  if (typeof value !== 'function' || !value.prototype || NOT_DTOS.includes(value)) return false;
  return getMetadataStorage().getTargetValidationMetadatas(value, '', true, false).length > 0;
}

/** The classes that `@ValidateNested()` properties of `target` hold. */
function nestedClassesOf(target: Function): Function[] {
  const nested: Function[] = [];
  for (const meta of getMetadataStorage().getTargetValidationMetadatas(target, '', true, false)) {
    if (meta.type !== ValidationTypes.NESTED_VALIDATION) continue;
    const typeMeta = defaultMetadataStorage.findTypeMetadata(target, meta.propertyName);
    const type: unknown = typeMeta ? typeMeta.typeFunction() : Reflect.getMetadata('design:type', target.prototype, meta.propertyName);
    if (isDtoClass(type)) nested.push(type);
  }
  return nested;
}

function collectRefs(node: unknown, into: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) collectRefs(item, into);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(DEFS)) into.add(value.slice(DEFS.length));
    else collectRefs(value, into);
  }
}

/** A `$ref` to a class with no schema (e.g. `Date` behind a custom validator) becomes `{}`: anything. */
function dropUnresolvedRefs(node: unknown, defs: Record<string, JsonSchema>): void {
  if (node === null || typeof node !== 'object') return;
  for (const value of Array.isArray(node) ? node : Object.values(node)) {
    if (value === null || typeof value !== 'object') continue;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && !(ref.startsWith(DEFS) && ref.slice(DEFS.length) in defs)) delete (value as { $ref?: unknown }).$ref;
    dropUnresolvedRefs(value, defs);
  }
}
