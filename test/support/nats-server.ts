import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { freePort } from './free-port';

/** Where the nats-server binary is: env NATS_SERVER_BIN, else PATH, else Debian's /usr/sbin. */
export function natsServerBinary(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server'].filter(Boolean) as string[];
  for (const bin of candidates) {
    const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return bin;
  }
  return undefined;
}

/**
 * Suites that need nats-server call this once: outside CI a missing binary skips them,
 * with CI=true it fails them (a missing install must never look green).
 */
export function describeWithNatsServer(name: string, fn: () => void): void {
  const available = natsServerBinary() !== undefined;
  if (!available && process.env.CI !== 'true') {
    describe.skip(`${name} (nats-server not installed)`, fn);
    return;
  }
  describe(name, () => {
    if (!available) {
      it('needs nats-server (apt-get install nats-server)', () => {
        throw new Error('nats-server is not installed; CI must have it');
      });
      return;
    }
    fn();
  });
}

export interface NatsServerOptions {
  port?: number;
  /** Extra command-line arguments, e.g. ['--user', 'a', '--pass', 'b']. */
  args?: string[];
  /** The text of a config file (e.g. an `authorization {}` block), written to a temp file and given with `-c`. */
  config?: string;
  /** Extra environment of the server (its config may read `$NAME` variables from it). */
  env?: NodeJS.ProcessEnv;
}

/** A real nats-server on a free port of 127.0.0.1, stopped by stop() (always call it in afterAll). */
export class NatsServerProcess {
  private child?: ChildProcess;
  private output = '';
  port = 0;

  constructor(private readonly options: NatsServerOptions = {}) {}

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the server printed so far (its log). */
  get log(): string {
    return this.output;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 10_000): Promise<this> {
    const bin = natsServerBinary();
    if (!bin) throw new Error('nats-server is not installed (apt-get install nats-server)');
    this.port = this.options.port ?? (await freePort());
    const configArgs: string[] = [];
    if (this.options.config !== undefined) {
      const path = join(mkdtempSync(join(tmpdir(), 'nest-mesh-nats-')), 'nats-server.conf');
      writeFileSync(path, this.options.config);
      configArgs.push('-c', path);
    }
    const child = spawn(bin, [...configArgs, '-a', '127.0.0.1', '-p', String(this.port), ...(this.options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.options.env },
    });
    this.child = child;
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nats-server exited at start: ${this.output}`);
      if (await canConnect(this.port)) return this;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`nats-server did not listen on ${this.port} within ${timeoutMs} ms: ${this.output}`);
  }

  /** Stops the server (`signal`, default SIGTERM, then SIGKILL after 3 s). Safe to call twice. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill(signal);
    });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
