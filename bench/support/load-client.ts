import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { compiledPath, ROOT } from './compile';
import type { LoadJob, LoadResult } from './load-types';

/** The load process (bench/load.ts, compiled), one per run, apart from every server; one job at a time. */
export class LoadClient {
  private constructor(private readonly child: ChildProcess) {}

  static start(): LoadClient {
    const child = fork(compiledPath(join(ROOT, 'bench/load.ts')), [], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new LoadClient(child);
  }

  run(job: LoadJob): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
        cleanup();
        if (message.ok) resolve(message.result);
        else reject(new Error(`load: ${message.error}`));
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`the load process exited (${code})`));
      };
      const cleanup = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(job);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
