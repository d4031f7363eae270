import { ChildProcess, spawn } from 'node:child_process';

/** A child process of a test, with its output kept for failure messages. */
export class TestProcess {
  output = '';
  private exited: Promise<void>;
  /** The process has exited and all it wrote has been read. */
  private finished = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    // 'close', not 'exit': a process may exit before everything it wrote has been read from its pipes.
    // (Bounded: a grandchild holding the pipes open must not keep a test waiting.)
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => resolve());
      child.once('exit', () => setTimeout(resolve, 2000).unref());
    }).then(() => {
      this.finished = true;
    });
  }

  /** Spawns `command args` and waits (at most timeoutMs) until its output matches `ready`. */
  static async start(
    name: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
  ): Promise<TestProcess> {
    const child = spawn(command, args, {
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new TestProcess(name, child);
    try {
      await proc.waitFor(options.ready, options.timeoutMs ?? 20_000);
    } catch (error) {
      await proc.stop();
      throw error;
    }
    return proc;
  }

  /** Runs `command args` to its end (killed after timeoutMs); resolves with its exit code and output. */
  static async run(
    name: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<{ code: number | null; output: string }> {
    const child = spawn(command, args, {
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new TestProcess(name, child);
    const code = await proc.exitCode(options.timeoutMs ?? 20_000);
    await proc.stop('SIGKILL');
    return { code, output: proc.output };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Resolves with the first match of `pattern` in the output written from offset `from` on (all of
   * it by default; `output.length` before a signal: only what comes after it); rejects on exit or
   * after timeoutMs.
   */
  waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.output.slice(from));
        if (match) {
          done();
          resolve(match);
        } else if (this.finished) {
          done();
          reject(new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) before ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.output.slice(from)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.stderr?.off('data', check);
      };
      this.child.stdout?.on('data', check);
      this.child.stderr?.on('data', check);
      void this.exited.then(check);
      check();
    });
  }

  /** Resolves with the exit code once the process has exited (at most timeoutMs). */
  async exitCode(timeoutMs = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return this.child.exitCode;
  }

  /** Sends `signal` (default SIGTERM); SIGKILL after killAfterMs. Safe to call twice. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 8000): Promise<void> {
    if (!this.running) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    this.child.kill(signal);
    await this.exited;
    clearTimeout(kill);
  }
}
