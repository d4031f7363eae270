import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { natsConfigCommand } from './nats-config-command';

describe('nest-mesh nats-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-nats-config-'));
  const config = join(dir, 'mesh.yaml');
  writeFileSync(config, 'id: demo\nmodules:\n  functions:\n    rules: {}\n');

  it('prints what the renderer makes of the config', () => {
    const result = natsConfigCommand(['--config', config], (c) => `authorization { # ${c.id}\n}`, {});
    expect(result).toEqual({ code: 0, stdout: 'authorization { # demo\n}\n' });
  });

  it('finds the config through MESH_CONFIG as the gateway does', () => {
    expect(natsConfigCommand([], (c) => c.id, { MESH_CONFIG: config })).toEqual({ code: 0, stdout: 'demo\n' });
  });

  it('says in one line, exit 1, when the renderer fails (e.g. not in this build)', () => {
    const result = natsConfigCommand(['--config', config], () => {
      throw new Error('nats-config is not available in this build of nest-mesh');
    }, {});
    expect(result).toEqual({ code: 1, stderr: 'nest-mesh nats-config: nats-config is not available in this build of nest-mesh\n' });
  });

  it('says in one line, exit 1, when the config is missing or invalid', () => {
    expect(natsConfigCommand(['--config', join(dir, 'none.yaml')], () => '', {})).toEqual({
      code: 1,
      stderr: `nest-mesh nats-config: config: cannot read config file ${join(dir, 'none.yaml')}: ENOENT\n`,
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: demo\ncolour: blue\n');
    expect(natsConfigCommand(['--config', bad], () => '', {})).toEqual({ code: 1, stderr: 'nest-mesh nats-config: config: colour: unknown key\n' });
  });
});
