import { isObservable, Observable, Subscription, takeWhile } from 'rxjs';
import { MeshCodes } from '@nest-mesh/wire';
import { MeshError } from '../mesh-error';

/** What a function returns to stream (docs/protocol.md#streams): an Observable, or an AsyncIterable such as an async generator. */
export type StreamResult = Observable<unknown> | AsyncIterable<unknown>;

/** Whether a handler's result streams. Costs a property look-up or two on an object result, nothing on others. */
export function isStreamResult(value: unknown): value is StreamResult {
  return typeof value === 'object' && value !== null && (isObservable(value) || isAsyncIterable(value));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** Where a `StreamPump` puts what its source produces. */
export interface StreamSink {
  /** One item; called only when a credit was available for it. May throw: the stream then fails with that error. */
  item(value: unknown): void;
  /** The source completed and every item was handed over. */
  end(): void;
  /** The source failed, the sink threw, or an Observable got more than the high-water mark ahead. */
  fail(error: unknown): void;
}

/**
 * Drives a stream's source at the pace of credits. An AsyncIterable is pulled (`next()`) only while
 * a credit is available, so it never runs ahead. An Observable cannot be paused: items beyond the
 * credits wait in a queue of at most `highWaterMark` items; one more fails the stream with 503
 * SLOW_CONSUMER and unsubscribes. `stop()` ends the source (unsubscribe, or the iterator's
 * `return()`) and nothing reaches the sink afterwards. Exactly one of `end` and `fail` is called,
 * unless `stop()` comes first.
 */
export class StreamPump {
  private credits = 0;
  private queue: unknown[] = [];
  /** How an Observable ended, while its queued items still wait for credits. */
  private finished?: { error?: unknown };
  private subscription?: Subscription;
  private iterator?: AsyncIterator<unknown>;
  /** Resumes the pulling loop, waiting for a credit. */
  private wake?: () => void;
  private stopped = false;
  /** Items handed to the sink so far. */
  count = 0;

  constructor(
    private readonly source: StreamResult,
    private readonly sink: StreamSink,
    private readonly highWaterMark: number,
  ) {}

  /** Starts the source (subscribes, or begins pulling) with `credits` items allowed. */
  start(credits: number): void {
    this.credits = credits;
    if (isObservable(this.source)) this.subscribe(this.source);
    else void this.pull(this.source[Symbol.asyncIterator]());
  }

  /** `n` more items may be handed to the sink. */
  grant(n: number): void {
    if (this.stopped || n <= 0) return;
    this.credits += n;
    if (this.queue.length > 0 || this.finished) this.drain();
    if (this.wake && this.credits > 0) this.resume();
  }

  /** Ends the source now (the caller left, or a deadline passed): nothing more reaches the sink. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue = [];
    this.release();
    if (this.wake) this.resume();
  }

  private subscribe(source: Observable<unknown>): void {
    // takeWhile ends a source that emits synchronously as soon as it emits again after a stop
    // (`subscription` is not known until subscribe returns).
    this.subscription = source.pipe(takeWhile(() => !this.stopped)).subscribe({
      next: (value) => this.push(value),
      error: (error: unknown) => this.settle({ error }),
      complete: () => this.settle({}),
    });
    if (this.stopped) this.subscription.unsubscribe();
  }

  private push(value: unknown): void {
    if (this.stopped) return;
    // An interceptor (Nest wraps results in an Observable) around a handler that returned an async
    // generator: the Observable's one value is the generator. Pull it instead, with flow control.
    if (this.count === 0 && this.queue.length === 0 && !this.iterator && isAsyncIterable(value) && !isObservable(value)) {
      void this.pull(value[Symbol.asyncIterator]());
      return;
    }
    if (this.iterator) return;
    if (this.credits > 0 && this.queue.length === 0) {
      this.credits--;
      this.emit(value);
      return;
    }
    this.queue.push(value);
    if (this.queue.length > this.highWaterMark) {
      this.fail(new MeshError(503, `the reader of the stream fell more than ${this.highWaterMark} items behind`, MeshCodes.SLOW_CONSUMER));
    }
  }

  /** The Observable ended: once its queued items are handed over, the stream ends the same way. */
  private settle(finished: { error?: unknown }): void {
    if (this.stopped) return;
    // The Observable that carried an adopted iterator completes at once: the iterator decides.
    if (this.iterator && !('error' in finished)) return;
    this.finished = finished;
    this.drain();
  }

  private drain(): void {
    while (this.credits > 0 && this.queue.length > 0 && !this.stopped) {
      this.credits--;
      this.emit(this.queue.shift());
    }
    if (this.queue.length === 0 && this.finished && !this.stopped) {
      if ('error' in this.finished) this.fail(this.finished.error);
      else this.end();
    }
  }

  private async pull(iterator: AsyncIterator<unknown>): Promise<void> {
    this.iterator = iterator;
    try {
      for (;;) {
        while (this.credits <= 0 && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
        if (this.stopped) return;
        const next = await iterator.next();
        if (this.stopped) return;
        if (next.done) {
          this.iterator = undefined; // finished by itself: no return() to call
          this.end();
          return;
        }
        this.credits--;
        this.emit(next.value);
      }
    } catch (error) {
      if (this.stopped) return;
      this.iterator = undefined; // it threw: it is finished
      this.fail(error);
    }
  }

  private resume(): void {
    const wake = this.wake!;
    this.wake = undefined;
    wake();
  }

  private emit(value: unknown): void {
    this.count++;
    try {
      this.sink.item(value);
    } catch (error) {
      this.fail(error);
    }
  }

  private end(): void {
    this.stopped = true;
    this.release();
    this.sink.end();
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue = [];
    this.release();
    this.sink.fail(error);
  }

  /** Lets go of the source: unsubscribes (its finalize runs), and asks an unfinished iterator to return. */
  private release(): void {
    this.subscription?.unsubscribe();
    const iterator = this.iterator;
    this.iterator = undefined;
    // An async generator runs its `finally` now when it waits for a credit, or once the `await` it is in settles.
    if (iterator?.return) void Promise.resolve(iterator.return()).catch(() => undefined);
  }
}

/**
 * The last item of a stream, for a caller that asked for no stream (as `lastValueFrom`; `null` when
 * it is empty). The source is consumed without flow control; at `deadline` (unix ms) it is stopped
 * and the promise rejects with 504 TIMEOUT, since nobody waits any more.
 */
export function lastItemOf(source: StreamResult, deadline: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let last: unknown = null;
    let timer: NodeJS.Timeout | undefined;
    const pump = new StreamPump(
      source,
      {
        item: (value) => void (last = value),
        end: () => {
          clearTimeout(timer);
          resolve(last);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      },
      Infinity,
    );
    if (Number.isFinite(deadline)) {
      timer = setTimeout(() => {
        pump.stop();
        reject(new MeshError(504, 'the stream did not end before the deadline', MeshCodes.TIMEOUT));
      }, timerDelay(deadline - Date.now()));
    }
    pump.start(Infinity);
  });
}

/** The longest delay `setTimeout` keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay for setTimeout: at least 0, at most what it can keep. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
