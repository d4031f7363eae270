import { OpenApiFunction, openApiFunctions, pointer } from './openapi-functions';
import { schemaToTs } from './schema-to-ts';

const SCHEMA_REF = /^#\/(?:components\/schemas|\$defs|definitions)\/(.+)$/;

/**
 * The `.d.ts` text of `nest-mesh types` for an OpenAPI document of the gateway: a `MeshFunctions`
 * type naming every function with its params and result, for
 * `createMeshClient<MeshFunctions>(...)` from 'nest-mesh/client' (docs/getting-started.md).
 * Schemas the document names (`$ref`) become named types of their own, so recursion is fine.
 */
export function renderTypes(doc: unknown, source: string): { text: string; functions: OpenApiFunction[] } {
  const functions = openApiFunctions(doc);
  const root = doc as Record<string, unknown>;
  const named = new Map<string, string>(); // $ref -> type name
  const pending: string[] = [];
  const nameRef = (ref: string): string | undefined => {
    const known = named.get(ref);
    if (known) return known;
    const match = SCHEMA_REF.exec(ref);
    if (!match || pointer(root, ref) === undefined) return undefined;
    const name = uniqueName(typeName(match[1]), new Set(named.values()));
    named.set(ref, name);
    pending.push(ref);
    return name;
  };

  const services = new Map<string, OpenApiFunction[]>();
  for (const fn of functions) services.set(fn.service, [...(services.get(fn.service) ?? []), fn]);
  const body: string[] = [];
  for (const [service, fns] of services) {
    body.push(`  ${JSON.stringify(service)}: {`);
    for (const fn of fns) {
      body.push(`    ${JSON.stringify(fn.func)}: {`);
      body.push(`      params: ${schemaToTs(fn.params, nameRef, '      ')};`);
      body.push(`      result: ${schemaToTs(fn.result, nameRef, '      ')};`);
      body.push('    };');
    }
    body.push('  };');
  }

  const declarations: string[] = [];
  for (let i = 0; i < pending.length; i++) {
    const ref = pending[i];
    declarations.push(`export type ${named.get(ref)} = ${schemaToTs(pointer(root, ref), nameRef)};`);
  }
  const text = [
    `// Written by \`nest-mesh types\` from ${source.replace(/[\r\n]/g, ' ')}. Do not edit: run the command again.`,
    `// Use: createMeshClient<MeshFunctions>({ url, project }) from 'nest-mesh/client'.`,
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
