import type { MsPattern } from '@nestjs/microservices';
import { transformPatternToRoute } from '@nestjs/microservices/utils';
import { isValidName, NAME_RULE, SUBJECT_PREFIX } from '@nest-mesh/wire';
import type { GatewayConfig } from './gateway-config';

/**
 * A function of an existing `Transport.NATS` service that the gateway serves as the mesh function
 * `<service>.<func>` (docs/getting-started.md#coming-from-transportnats).
 */
export interface NestTarget {
  service: string;
  func: string;
  /** The pattern as the Nest service declares it: a string, a number, or an object (`{"cmd":"sum"}`). */
  pattern: MsPattern;
  /** Where Nest serves it: the pattern as Nest writes it (`transformPatternToRoute`), a NATS subject. */
  subject: string;
}

/** A `modules.functions.nest` mistake; the message starts with the path, e.g. `modules.functions.nest.legacy.get: ...`. */
export class NestConfigError extends Error {
  override name = 'NestConfigError';
}

const ROOT = 'modules.functions.nest';
const EXAMPLE = `'{"cmd":"sum"}'`;

/**
 * The functions of `modules.functions.nest` (`<service>: {<func>: <pattern>}`), checked once, by
 * loadConfig: names are mesh names; a pattern is a string (a NATS subject without wildcards), a
 * number, or an object pattern written as Nest writes it (JSON, keys sorted, no spaces), so that
 * the gateway publishes exactly where the Nest service subscribes. Throws NestConfigError naming
 * the path of the first mistake.
 */
export function nestTargetsOf(config: GatewayConfig): NestTarget[] {
  const targets: NestTarget[] = [];
  for (const [service, functions] of Object.entries(config.modules.functions.nest)) {
    const at = `${ROOT}.${service}`;
    if (!isValidName(service)) fail(at, `not a service name (${NAME_RULE})`);
    if (functions === null || typeof functions !== 'object' || Array.isArray(functions)) fail(at, 'must map function names to Nest patterns, e.g. get: users.get');
    for (const [func, raw] of Object.entries(functions as Record<string, unknown>)) {
      const path = `${at}.${func}`;
      if (!isValidName(func)) fail(path, `not a function name (${NAME_RULE})`);
      const pattern = patternOf(raw, path);
      targets.push({ service, func, pattern, subject: subjectOf(pattern, path) });
    }
  }
  return targets;
}

/** The pattern a Nest service declares, from its config text. */
function patternOf(raw: unknown, path: string): MsPattern {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw !== 'string' || raw === '') fail(path, `must be a Nest pattern: a string such as users.get, or an object pattern as Nest writes it, e.g. ${EXAMPLE}`);
  const text = raw as string;
  if (!text.startsWith('{')) return text;
  let pattern: MsPattern;
  try {
    pattern = JSON.parse(text) as MsPattern;
  } catch {
    fail(path, `is not valid JSON: write an object pattern as Nest writes it, keys sorted and without spaces, e.g. ${EXAMPLE}`);
  }
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) fail(path, `must be a JSON object, e.g. ${EXAMPLE}`);
  const written = transformPatternToRoute(pattern);
  if (written !== text) fail(path, `write the object pattern as Nest writes it, keys sorted and without spaces: '${written}'`);
  return pattern;
}

/** The subject Nest serves `pattern` on; refused when no message can be published there, or when it is the mesh's own. */
function subjectOf(pattern: MsPattern, path: string): string {
  const subject = transformPatternToRoute(pattern);
  const tokens = subject.split('.');
  if (tokens.some((token) => token === '' || token === '*' || token === '>' || /\s/.test(token))) {
    fail(path, `"${subject}" is not a NATS subject a message can be sent to (no spaces, empty parts or wildcards)`);
  }
  if (tokens[0] === SUBJECT_PREFIX || tokens[0] === '_INBOX' || subject.startsWith('$')) {
    fail(path, `"${subject}" is a subject of the mesh or of NATS itself, not of a Transport.NATS service (a mesh function is called directly)`);
  }
  return subject;
}

function fail(path: string, message: string): never {
  throw new NestConfigError(`${path}: ${message}`);
}
