import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from './load-config';

/** Test helpers for config files (unit specs here, and the end-to-end suites through test/support). */

/** Writes a gateway config file (JSON, which is valid YAML; a string as it is) to a fresh temp folder and returns its path. */
export function writeConfig(config: object | string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nest-mesh-')), 'mesh.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}

/** The message of the ConfigError that `text` (a config file's contents) stops the gateway with; throws when it is valid. */
export function configErrorOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
  throw new Error('expected a ConfigError');
}
