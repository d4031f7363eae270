import { OpenApiFunction, openApiFunctions, pointer } from './openapi-functions';
import { schemaToTs } from './schema-to-ts';

const SCHEMA_REF = /^#\/(?:components\/schemas|\$defs|definitions)\/(.+)$/;

/**
 * The `.d.ts` text of `nest-mesh types` for an OpenAPI document of the gateway: a `MeshFunctions`
 * type naming every function with its params and result, for
 * `createMeshClient<MeshFunctions>(...)` from 'nest-mesh/client' (docs/getting-started.md).
 * Schemas the document names (`$ref`) become named types of their own, so recursion is fine. A
 * `$ref` that the document does not hold is looked up in the schema it appears in (a stand-alone
 * params schema that bundles its nested DTOs under `$defs`).
 */
export function renderTypes(doc: unknown, source: string): { text: string; functions: OpenApiFunction[] } {
  const functions = openApiFunctions(doc);
  const documentRoot = doc as Record<string, unknown>;
  const named = new Map<string, string>(); // where the schema is -> type name
  const pending: { key: string; schema: unknown; root: unknown }[] = [];
  let localRoot: unknown; // the stand-alone schema being rendered, for refs the document lacks
  let localKey = '';
  const nameRef = (ref: string): string | undefined => {
    const match = SCHEMA_REF.exec(ref);
    if (!match) return undefined;
    const inDocument = pointer(documentRoot, ref);
    const inLocal = inDocument === undefined && isRecord(localRoot) ? pointer(localRoot, ref) : undefined;
    if (inDocument === undefined && inLocal === undefined) return undefined;
    const key = inDocument !== undefined ? ref : `${localKey} ${ref}`;
    const known = named.get(key);
    if (known) return known;
    const name = uniqueName(typeName(match[1]), new Set(named.values()));
    named.set(key, name);
    pending.push({ key, schema: inDocument ?? inLocal, root: inDocument !== undefined ? undefined : localRoot });
    return name;
  };
  const render = (schema: unknown, root: unknown, key: string, indent: string) => {
    [localRoot, localKey] = [root, key];
    return schemaToTs(schema, nameRef, indent);
  };

  const services = new Map<string, OpenApiFunction[]>();
  for (const fn of functions) services.set(fn.service, [...(services.get(fn.service) ?? []), fn]);
  const body: string[] = [];
  for (const [service, fns] of services) {
    body.push(`  ${JSON.stringify(service)}: {`);
    for (const fn of fns) {
      body.push(`    ${JSON.stringify(fn.func)}: {`);
      body.push(`      params: ${render(fn.params, fn.params, `${fn.service}.${fn.func} params`, '      ')};`);
      body.push(`      result: ${render(fn.result, fn.result, `${fn.service}.${fn.func} result`, '      ')};`);
      body.push('    };');
    }
    body.push('  };');
  }

  const declarations: string[] = [];
  for (let i = 0; i < pending.length; i++) {
    const { key, schema, root } = pending[i];
    declarations.push(`export type ${named.get(key)} = ${render(schema, root, key.split(' #')[0], '')};`);
  }
  const text = [
    `// Written by \`nest-mesh types\` from ${source.replace(/[\r\n]/g, ' ')}. Do not edit: run the command again.`,
    `// Use: createMeshClient<MeshFunctions>({ url, project }) from 'nest-mesh/client', or MeshClient<MeshFunctions> from 'nest-mesh'.`,
    '',
    ...declarations.flatMap((line) => [line, '']),
    'export type MeshFunctions = {',
    ...body,
    '};',
    '',
  ].join('\n');
  return { text, functions };
}

function typeName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_$]+(.)?/g, (_, next: string | undefined) => (next ? next.toUpperCase() : ''));
  const name = cleaned && /^[A-Za-z_$]/.test(cleaned) ? cleaned : `Schema${cleaned}`;
  return name === 'MeshFunctions' ? 'MeshFunctionsSchema' : name;
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name}${n}`;
  return candidate;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
