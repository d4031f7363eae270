/**
 * BrokerThread: the EmbeddedBroker on a worker thread of this process, so that its parsing,
 * routing and socket writes do not take turns with the host's own event loop (the gateway's HTTP).
 * Same options, url, port and close() as EmbeddedBroker; log lines come back to `options.logger`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BrokerAddressInUseError, BrokerConfigError } from './errors';
import { EmbeddedBrokerOptions, ResolvedBrokerOptions, resolveOptions } from './options';
import type { FromBrokerThread, ToBrokerThread } from './thread-messages';

/** How long close() waits for the thread to close its clients before it stops the thread. */
const CLOSE_TIMEOUT_MS = 5000;

export class BrokerThread {
  private readonly resolved: ResolvedBrokerOptions;
  private boundPort = 0;
  private worker?: Worker;
  /** Resolves when the thread has ended, for whatever reason. */
  private exited?: Promise<void>;
  private closing?: Promise<void>;
  private readonly crashListeners: ((error: Error) => void)[] = [];

  /**
   * `entry`: the worker's script, by default `broker-thread-main.js` next to this module (a
   * bundler must emit it there, as the gateway's webpack config does); `.ts` runs through ts-node.
   */
  constructor(
    private readonly options: EmbeddedBrokerOptions = {},
    private readonly entry = defaultEntry(),
  ) {
    this.resolved = resolveOptions(options);
  }

  get url(): string {
    return `nats://${this.resolved.host}:${this.port}`;
  }

  get port(): number {
    return this.boundPort || this.resolved.port;
  }

  /** `listener` runs if the thread dies without being closed (the broker is then gone). */
  onCrash(listener: (error: Error) => void): void {
    this.crashListeners.push(listener);
  }

  /** Starts the thread and its broker; rejects as EmbeddedBroker.start() does (BrokerAddressInUseError...). */
  start(): Promise<this> {
    if (this.worker) return Promise.resolve(this);
    const { logger: _logger, ...data } = this.options;
    const logger = this.resolved.logger;
    const worker = new Worker(this.entry, {
      workerData: data,
      execArgv: this.entry.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : undefined,
    });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    return new Promise<this>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromBrokerThread) => {
        switch (message.kind) {
          case 'started':
            started = true;
            this.boundPort = message.port;
            resolve(this);
            break;
          case 'failed':
            reject(failure(message));
            break;
          case 'log':
            logger[message.level](message.text);
            break;
        }
      });
      worker.on('error', (error) => {
        if (!started) return reject(error);
        logger.error(`embedded broker: thread failed: ${error.message}`);
        this.crashed(error);
      });
      worker.on('exit', (code) => {
        if (!started) return reject(new Error(`embedded broker: thread exited with code ${code} before it started`));
        if (!this.closing) this.crashed(new Error(`embedded broker: thread exited with code ${code}`));
      });
    });
  }

  /** Closes the broker (flushes and ends every client) and ends the thread; bounded by CLOSE_TIMEOUT_MS. */
  close(): Promise<void> {
    const worker = this.worker;
    const exited = this.exited;
    if (!worker || !exited) return Promise.resolve();
    this.closing ??= (async () => {
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      worker.postMessage({ kind: 'close' } satisfies ToBrokerThread);
      await exited;
      clearTimeout(timer);
    })();
    return this.closing;
  }

  private crashed(error: Error): void {
    for (const listener of this.crashListeners) listener(error);
  }
}

function failure(message: Extract<FromBrokerThread, { kind: 'failed' }>): Error {
  if (message.addressInUse) return new BrokerAddressInUseError(message.addressInUse.host, message.addressInUse.port);
  return message.config ? new BrokerConfigError(message.message) : new Error(message.message);
}

function defaultEntry(): string {
  const js = join(__dirname, 'broker-thread-main.js');
  return existsSync(js) ? js : join(__dirname, 'broker-thread-main.ts');
}
