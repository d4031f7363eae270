import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { compileRules } from '@nest-mesh/rules';
import { EventRules } from './event-rules';
import { nestTargetsOf } from './nest-targets';
import { triggersOf } from './triggers';
import { trustProblems } from './trust-checks';
import { GatewayConfig } from './gateway-config';

/** A configuration that cannot be used; the message names the path, e.g. `modules.functions.conn: ...`. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `--config <path>`, else env MESH_CONFIG, else `./mesh.yaml`. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const flag = argv.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (flag >= 0) {
    const value = argv[flag].includes('=') ? argv[flag].slice('--config='.length) : argv[flag + 1];
    if (!value) throw new ConfigError('--config needs a path');
    return value;
  }
  return env.MESH_CONFIG || 'mesh.yaml';
}

/** Reads, substitutes `${ENV}`, validates and returns the config at `path`; env PORT overrides `port`. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const config = parseConfig(text, env);
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`env PORT: not a port number: ${env.PORT}`);
    config.port = port;
  }
  return config;
}

/** Parses YAML (or JSON) text into a validated GatewayConfig. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  return configOf(raw, env);
}

/** Validates a config given as an object (the parsed file, or 'nest-mesh/testing''s argument) into a GatewayConfig, as parseConfig does. */
export function configOf(raw: unknown, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('the config must be a mapping');
  const config = plainToInstance(GatewayConfig, substituteEnv(raw, env, ''), { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new ConfigError(describe(errors, '').join('\n'));
  if (config.http.headersTimeout > config.http.requestTimeout) {
    throw new ConfigError(`http.headersTimeout: must not be greater than http.requestTimeout (${config.http.requestTimeout})`);
  }
  const { timeout } = config.modules.functions;
  if (timeout.default > timeout.max) {
    throw new ConfigError(`modules.functions.timeout.default: must not be greater than timeout.max (${timeout.max})`);
  }
  if (config.http.cors?.origins === '*' && config.http.cors.credentials) {
    throw new ConfigError('http.cors.credentials: must not be true when http.cors.origins is "*" (browsers refuse credentials with any origin)');
  }
  const trust = trustProblems(config);
  if (trust.length > 0) throw new ConfigError(trust.join('\n'));
  if (config.management !== undefined && config.management.port !== 0 && config.management.port === config.port) {
    throw new ConfigError(`management.port: must differ from port (${config.port})`);
  }
  try {
    const { rules, ruleTimeout } = config.modules.functions;
    config.modules.functions.ruleEngine = compileRules(rules, { funcTimeoutMs: ruleTimeout });
    config.modules.functions.nestTargets = nestTargetsOf(config);
    const eventing = config.modules.eventing;
    if (eventing.enabled && !config.modules.functions.enabled) {
      throw new Error('modules.eventing.enabled: needs modules.functions.enabled (triggers call functions)');
    }
    eventing.triggerSpecs = triggersOf(config);
    eventing.eventRules = EventRules.compile(eventing, ruleTimeout);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return config;
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: string): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_, name: string) => {
      const found = env[name];
      if (found === undefined) throw new ConfigError(`${path || '(root)'}: environment variable ${name} is not set`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, join(path, String(i))));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substituteEnv(item, env, join(path, key));
    return out;
  }
  return value;
}

/** One line per wrong key: its path and the most telling of its failed constraints. */
function describe(errors: ValidationError[], parent: string): string[] {
  return errors.flatMap((error) => {
    const path = join(parent, error.property);
    const constraints = Object.entries(error.constraints ?? {}).sort(([a], [b]) => rank(a) - rank(b));
    const own = constraints.slice(0, 1).map(([kind, message]) =>
      kind === 'whitelistValidation' ? `${path}: unknown key` : `${path}: ${message.replace(`${error.property} `, '')}`,
    );
    return [...own, ...describe(error.children ?? [], path)];
  });
}

const TYPE_CHECKS = ['whitelistValidation', 'nestedValidation', 'isObject', 'isArray', 'isString', 'isInt', 'isBoolean', 'isIn'];

function rank(kind: string): number {
  const index = TYPE_CHECKS.indexOf(kind);
  return index < 0 ? TYPE_CHECKS.length : index;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}
