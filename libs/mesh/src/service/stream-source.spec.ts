import { finalize, interval, map, Observable, of, Subject, throwError } from 'rxjs';
import { MeshError } from '../mesh-error';
import { isStreamResult, lastItemOf, StreamPump, StreamSink } from './stream-source';

/** A sink that records what reached it. */
class Recorder implements StreamSink {
  items: unknown[] = [];
  ended = false;
  error?: unknown;
  throwOn?: unknown;
  item(value: unknown): void {
    if (value === this.throwOn) throw new Error('cannot send');
    this.items.push(value);
  }
  end(): void {
    this.ended = true;
  }
  fail(error: unknown): void {
    this.error = error;
  }
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** An async generator of `n` numbers that counts how far it got and whether its finally ran. */
function counting(n = Infinity) {
  const state = { produced: 0, finished: false };
  async function* generate() {
    try {
      while (state.produced < n) yield ++state.produced;
    } finally {
      state.finished = true;
    }
  }
  return { state, source: generate() };
}

describe('isStreamResult', () => {
  it('is true for Observables and AsyncIterables only', () => {
    expect(isStreamResult(of(1))).toBe(true);
    expect(isStreamResult(counting().source)).toBe(true);
    for (const value of [null, undefined, 1, 'a', [1, 2], { a: 1 }, Promise.resolve(1)]) expect(isStreamResult(value)).toBe(false);
  });
});

describe('StreamPump', () => {
  it('pulls an async generator only while credits last', async () => {
    const { state, source } = counting();
    const sink = new Recorder();
    const pump = new StreamPump(source, sink, 10);
    pump.start(2);
    await settle();
    expect(sink.items).toEqual([1, 2]);
    expect(state.produced).toBe(2);
    pump.grant(3);
    await settle();
    expect(sink.items).toEqual([1, 2, 3, 4, 5]);
    expect(state.produced).toBe(5);
    pump.stop();
    await settle();
    expect(state.finished).toBe(true);
    expect(sink.ended).toBe(false);
  });

  it('ends after the last item of a generator, with its count', async () => {
    const { source } = counting(3);
    const sink = new Recorder();
    const pump = new StreamPump(source, sink, 10);
    pump.start(10);
    await settle();
    expect(sink).toMatchObject({ items: [1, 2, 3], ended: true, error: undefined });
    expect(pump.count).toBe(3);
  });

  it('hands over the items before the error a generator throws', async () => {
    async function* failing() {
      yield 'a';
      throw new MeshError(409, 'conflict');
    }
    const sink = new Recorder();
    new StreamPump(failing(), sink, 10).start(5);
    await settle();
    expect(sink.items).toEqual(['a']);
    expect(sink.error).toMatchObject({ status: 409 });
    expect(sink.ended).toBe(false);
  });

  it('queues an Observable beyond the credits and sends the queue as credits come', () => {
    const subject = new Subject<number>();
    const sink = new Recorder();
    const pump = new StreamPump(subject, sink, 10);
    pump.start(1);
    [1, 2, 3].forEach((n) => subject.next(n));
    expect(sink.items).toEqual([1]);
    subject.complete();
    expect(sink.ended).toBe(false); // two items still wait for credits
    pump.grant(1);
    expect(sink.items).toEqual([1, 2]);
    pump.grant(5);
    expect(sink.items).toEqual([1, 2, 3]);
    expect(sink.ended).toBe(true);
  });

  it('fails an Observable with 503 SLOW_CONSUMER one item past the high-water mark, and unsubscribes it', () => {
    let finalized = false;
    let emitted = 0;
    const source = new Observable<number>((subscriber) => {
      for (let i = 0; i < 100_000 && !subscriber.closed; i++) subscriber.next(++emitted);
    }).pipe(finalize(() => (finalized = true)));
    const sink = new Recorder();
    new StreamPump(source, sink, 5).start(2);
    expect(sink.items).toEqual([1, 2]);
    expect(sink.error).toMatchObject({ status: 503, code: 'SLOW_CONSUMER' });
    expect(finalized).toBe(true);
    expect(emitted).toBeLessThanOrEqual(2 + 5 + 2);
  });

  it('hands over the queued items before the error an Observable ends with', () => {
    const subject = new Subject<number>();
    const sink = new Recorder();
    const pump = new StreamPump(subject, sink, 10);
    pump.start(0);
    subject.next(1);
    subject.error(new MeshError(400, 'bad'));
    expect(sink.error).toBeUndefined();
    pump.grant(1);
    expect(sink.items).toEqual([1]);
    expect(sink.error).toMatchObject({ status: 400 });
  });

  it('stops an Observable on stop(): its finalize runs and nothing more reaches the sink', () => {
    let finalized = false;
    const subject = new Subject<number>();
    const sink = new Recorder();
    const pump = new StreamPump(subject.pipe(finalize(() => (finalized = true))), sink, 10);
    pump.start(5);
    subject.next(1);
    pump.stop();
    subject.next(2);
    subject.complete();
    expect(finalized).toBe(true);
    expect(sink).toMatchObject({ items: [1], ended: false, error: undefined });
  });

  it('pulls an async generator that an interceptor wrapped in an Observable, with flow control', async () => {
    const { state, source } = counting();
    const sink = new Recorder();
    const pump = new StreamPump(of(source), sink, 10);
    pump.start(3);
    await settle();
    expect(sink.items).toEqual([1, 2, 3]);
    expect(state.produced).toBe(3);
    expect(sink.ended).toBe(false);
    pump.stop();
    await settle();
    expect(state.finished).toBe(true);
  });

  it('fails the stream and stops the source when the sink cannot take an item', async () => {
    const { state, source } = counting();
    const sink = new Recorder();
    sink.throwOn = 2;
    new StreamPump(source, sink, 10).start(10);
    await settle();
    expect(sink.items).toEqual([1]);
    expect(sink.error).toEqual(new Error('cannot send'));
    expect(state.finished).toBe(true);
  });
});

describe('lastItemOf', () => {
  it('resolves to the last item (null for none), as lastValueFrom', async () => {
    await expect(lastItemOf(of(1, 2, 3), Infinity)).resolves.toBe(3);
    await expect(lastItemOf(counting(4).source, Infinity)).resolves.toBe(4);
    await expect(lastItemOf(of(), Infinity)).resolves.toBeNull();
    await expect(lastItemOf(throwError(() => new MeshError(418, 'tea')), Infinity)).rejects.toMatchObject({ status: 418 });
  });

  it('stops an endless stream at the deadline with 504 TIMEOUT', async () => {
    let finalized = false;
    const endless = interval(5).pipe(
      map((n) => n),
      finalize(() => (finalized = true)),
    );
    await expect(lastItemOf(endless, Date.now() + 30)).rejects.toMatchObject({ status: 504, code: 'TIMEOUT' });
    expect(finalized).toBe(true);
  });
});
