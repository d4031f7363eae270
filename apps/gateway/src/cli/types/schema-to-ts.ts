/**
 * JSON Schema (the subset class-validator DTOs and OpenAPI 3.1 use) as a TypeScript type, for the
 * `.d.ts` that `nest-mesh types` writes. What it cannot express exactly becomes `unknown`, never a
 * type narrower than the schema.
 */
export type JsonSchema = boolean | { [key: string]: unknown };

/** Names a `$ref` (e.g. `#/components/schemas/CreateUser`) as a type, or undefined when unknown. */
export type RefNamer = (ref: string) => string | undefined;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function schemaToTs(schema: unknown, nameRef: RefNamer, indent = ''): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'unknown';
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return nameRef(s.$ref) ?? 'unknown';
  if ('const' in s) return literal(s.const);
  if (Array.isArray(s.enum)) return s.enum.length > 0 ? union(s.enum.map(literal)) : 'never';
  if (Array.isArray(s.anyOf)) return union(s.anyOf.map((item) => schemaToTs(item, nameRef, indent)));
  if (Array.isArray(s.oneOf)) return union(s.oneOf.map((item) => schemaToTs(item, nameRef, indent)));
  if (Array.isArray(s.allOf)) return s.allOf.length > 0 ? s.allOf.map((item) => wrap(schemaToTs(item, nameRef, indent))).join(' & ') : 'unknown';
  const types = Array.isArray(s.type) ? s.type : typeof s.type === 'string' ? [s.type] : [];
  if (types.length === 0) return s.properties || s.additionalProperties ? objectType(s, nameRef, indent) : 'unknown';
  const parts = types.map((type) => typeOf(String(type), s, nameRef, indent));
  if (s.nullable === true && !types.includes('null')) parts.push('null'); // OpenAPI 3.0 style
  return union(parts);
}

function typeOf(type: string, s: Record<string, unknown>, nameRef: RefNamer, indent: string): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return arrayType(s, nameRef, indent);
    case 'object':
      return objectType(s, nameRef, indent);
    default:
      return 'unknown';
  }
}

function arrayType(s: Record<string, unknown>, nameRef: RefNamer, indent: string): string {
  if (Array.isArray(s.prefixItems)) {
    const items = s.prefixItems.map((item) => schemaToTs(item, nameRef, indent));
    return s.items === false ? `[${items.join(', ')}]` : `[${[...items, `...${wrap(schemaToTs(s.items, nameRef, indent))}[]`].join(', ')}]`;
  }
  return `${wrap(schemaToTs(s.items, nameRef, indent))}[]`;
}

function objectType(s: Record<string, unknown>, nameRef: RefNamer, indent: string): string {
  const properties = s.properties && typeof s.properties === 'object' ? (s.properties as Record<string, unknown>) : {};
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
  const inner = `${indent}  `;
  const lines = Object.entries(properties).map(([key, value]) => {
    const name = IDENTIFIER.test(key) ? key : JSON.stringify(key);
    return `${inner}${name}${required.has(key) ? '' : '?'}: ${schemaToTs(value, nameRef, inner)};`;
  });
  // As openapi-typescript does: an index signature only when the schema says what extra keys hold
  // (or lists no property at all); otherwise a typo in an object literal stays a compile error.
  const extra = s.additionalProperties;
  if (lines.length === 0 && extra !== false) {
    lines.push(`${inner}[key: string]: ${extra === undefined || extra === true ? 'unknown' : schemaToTs(extra, nameRef, inner)};`);
  } else if (extra !== undefined && extra !== false) {
    lines.push(`${inner}[key: string]: unknown;`);
  }
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
}

function literal(value: unknown): string {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) ? JSON.stringify(value) : 'unknown';
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.includes('unknown')) return 'unknown';
  return unique.length === 0 ? 'never' : unique.length === 1 ? unique[0] : unique.map(wrap).join(' | ');
}

/** Parenthesizes a union or intersection used inside `[]`, `&` or `|`. */
function wrap(type: string): string {
  return hasTopLevelOperator(type) ? `(${type})` : type;
}

/** Whether `type` has a `|` or `&` outside brackets and string literals. */
function hasTopLevelOperator(type: string): boolean {
  let depth = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (c === '"') {
      for (i++; i < type.length && type[i] !== '"'; i++) if (type[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && (c === '|' || c === '&')) return true;
  }
  return false;
}
