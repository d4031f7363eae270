import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a gateway config file (JSON, which is valid YAML; a string as it is) to a fresh temp folder and returns its path. */
export function writeConfig(config: object | string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'nest-mesh-')), 'mesh.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}
