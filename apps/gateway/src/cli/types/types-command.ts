import { readFile, writeFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CommandResult, failed } from '../command-result';
import { parseFlags } from '../flags';
import { renderTypes } from './render-types';

/** How long fetching the OpenAPI document may take. */
const FETCH_TIMEOUT_MS = 15_000;

/**
 * `nest-mesh types --url <gateway> [--project <id>] [--out mesh-types.d.ts] [--token <jwt>]`, or
 * `nest-mesh types --openapi <file> [--out ...]`: reads the gateway's OpenAPI document
 * (`GET <url>/v1/api/<project>/openapi.json`) and writes a `.d.ts` with the `MeshFunctions` type for
 * typed calls of 'nest-mesh/client'. Without `--project`, the `id` of ./mesh.yaml (or `--config`).
 */
export async function typesCommand(argv: readonly string[], fetchFn: typeof fetch = fetch): Promise<CommandResult> {
  let flags: Record<string, string>;
  try {
    flags = parseFlags(argv, ['url', 'project', 'out', 'openapi', 'token', 'config']);
    if (!flags.url === !flags.openapi) throw new Error('give either --url <gateway> or --openapi <file>');
  } catch (error) {
    return failed('types', (error as Error).message);
  }
  const out = flags.out ?? 'mesh-types.d.ts';
  let doc: unknown;
  let source: string;
  try {
    if (flags.openapi) {
      source = flags.openapi;
      doc = parseJson(await readFile(flags.openapi, 'utf8'), source);
    } else {
      const project = flags.project ?? (await projectOfConfig(flags.config ?? process.env.MESH_CONFIG ?? 'mesh.yaml'));
      source = `${flags.url.replace(/\/+$/, '')}/v1/api/${encodeURIComponent(project)}/openapi.json`;
      doc = await fetchDocument(fetchFn, source, flags.token);
    }
  } catch (error) {
    return failed('types', (error as Error).message);
  }
  try {
    const { text, functions } = renderTypes(doc, source);
    await writeFile(out, text);
    return { code: 0, stdout: `nest-mesh types: wrote ${functions.length} function(s) from ${source} to ${out}\n` };
  } catch (error) {
    return failed('types', `${source}: ${(error as Error).message}`);
  }
}

async function fetchDocument(fetchFn: typeof fetch, url: string, token: string | undefined): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchFn(url, {
      headers: token ? { accept: 'application/json', authorization: `Bearer ${token}` } : { accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new Error(`cannot reach ${url}: ${cause}`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return parseJson(text, url);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
}

/** The project id of a config file, for `types` without `--project`. */
async function projectOfConfig(path: string): Promise<string> {
  let id: unknown;
  try {
    id = (parseYaml(await readFile(path, 'utf8')) as { id?: unknown } | null)?.id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || id === '' || id.includes('${')) throw new Error(`give --project <id> (no project id found in ${path})`);
  return id;
}
