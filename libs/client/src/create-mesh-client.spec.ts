import { createMeshClient, FetchLike } from './create-mesh-client';
import { MeshHttpCodes, MeshHttpError } from './mesh-http-error';

type Init = Parameters<FetchLike>[1];

/** A fetch that records its requests and answers with `answer(url, init)`. */
function fakeFetch(answer: (url: string, init: Init) => Promise<Response> | Response) {
  const requests: { url: string; init: Init; body: any }[] = [];
  const fetch: FetchLike = async (url, init) => {
    requests.push({ url, init, body: JSON.parse(init.body) });
    return answer(url, init);
  };
  return { fetch, requests };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** Awaits `promise`, which must reject with a MeshHttpError, and resolves with it. */
async function rejection(promise: Promise<unknown>): Promise<MeshHttpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MeshHttpError);
    return error as MeshHttpError;
  }
  throw new Error('expected a rejection');
}

describe('createMeshClient().call', () => {
  it('POSTs {params, timeout} to the function route and resolves to the result', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { result: { id: 7 } }));
    const client = createMeshClient({ url: 'http://gw.example/', project: 'demo', token: 'tok', fetch });
    await expect(client.call('users', 'create', { name: 'Ada' }, { timeout: 500, requestId: 'req-1' })).resolves.toEqual({ id: 7 });
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe('http://gw.example/v1/api/demo/functions/users/create');
    expect(requests[0].init.method).toBe('POST');
    expect(requests[0].init.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer tok', 'x-request-id': 'req-1' });
    expect(requests[0].body).toEqual({ params: { name: 'Ada' }, timeout: 500 });
  });

  it('sends null params and no timeout or token when none are given', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { result: null }));
    await expect(createMeshClient({ url: 'http://gw', project: 'p', fetch }).call('a', 'b')).resolves.toBeNull();
    expect(requests[0].body).toEqual({ params: null });
    expect(requests[0].init.headers).not.toHaveProperty('authorization');
    expect(requests[0].init.headers).not.toHaveProperty('x-request-id');
  });

  it('asks getToken before every call', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { result: 1 }));
    let n = 0;
    const client = createMeshClient({ url: 'http://gw', project: 'p', token: 'ignored', getToken: async () => `t${++n}`, fetch });
    await client.call('a', 'b', null);
    await client.call('a', 'b', null);
    expect(requests.map((r) => r.init.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('rejects with the gateway status, code, message and request id', async () => {
    const { fetch } = fakeFetch(() => json(403, { error: 'no rule allows users.create', code: 'FORBIDDEN' }, { 'x-request-id': 'abc' }));
    const error = await rejection(createMeshClient({ url: 'http://gw', project: 'p', fetch }).call('users', 'create', {}));
    expect(error.toJSON()).toEqual({ status: 403, code: 'FORBIDDEN', message: 'no rule allows users.create', requestId: 'abc' });
  });

  it('rejects with status 0 UNAVAILABLE when the gateway cannot be reached', async () => {
    const fetch: FetchLike = async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    };
    const error = await rejection(createMeshClient({ url: 'http://127.0.0.1:1', project: 'p', fetch }).call('a', 'b', null, { requestId: 'r9' }));
    expect(error).toMatchObject({ status: 0, code: MeshHttpCodes.UNAVAILABLE, requestId: 'r9' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it.each([
    [200, '<html>oops</html>'],
    [502, '<html>Bad Gateway</html>'],
    [200, '{"no":"result"}'],
    [500, '{"error":"missing code"}'],
  ])('rejects with BAD_RESPONSE for an answer that is not the gateway JSON (%s %s)', async (status, body) => {
    const { fetch } = fakeFetch(() => new Response(body, { status, headers: { 'x-request-id': 'rid' } }));
    const error = await rejection(createMeshClient({ url: 'http://gw', project: 'p', fetch }).call('a', 'b', 1));
    expect(error).toMatchObject({ status, code: MeshHttpCodes.BAD_RESPONSE, requestId: 'rid' });
  });

  it('rejects with ABORTED when the signal aborts, also before the call starts', async () => {
    const { fetch } = fakeFetch(
      (_url, init) => new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    );
    const client = createMeshClient({ url: 'http://gw', project: 'p', fetch });
    const controller = new AbortController();
    const pending = client.call('a', 'b', null, { signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    expect(await rejection(pending)).toMatchObject({ status: 0, code: MeshHttpCodes.ABORTED });
    expect(await rejection(client.call('a', 'b', null, { signal: controller.signal }))).toMatchObject({ status: 0, code: MeshHttpCodes.ABORTED });
  });

  it('gives up with TIMEOUT (status 0) when the gateway does not answer within timeout plus grace', async () => {
    const { fetch } = fakeFetch(
      (_url, init) => new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    );
    jest.useFakeTimers();
    try {
      const pending = rejection(createMeshClient({ url: 'http://gw', project: 'p', fetch }).call('a', 'b', null, { timeout: 100 }));
      await jest.advanceTimersByTimeAsync(100 + 2000);
      expect(await pending).toMatchObject({ status: 0, code: MeshHttpCodes.TIMEOUT });
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a service or function name that could leave its route, without a request', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { result: 1 }));
    const client = createMeshClient({ url: 'http://gw', project: 'p', fetch });
    expect(await rejection(client.call('..', 'b', null))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await rejection(client.call('a', 'b/c', null))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(requests).toHaveLength(0);
  });

  it('refuses params that are not JSON, without a request', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { result: 1 }));
    const error = await rejection(createMeshClient({ url: 'http://gw', project: 'p', fetch }).call('a', 'b', { n: 1n }));
    expect(error).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(requests).toHaveLength(0);
  });

  it('needs url and project', () => {
    expect(() => createMeshClient({ url: '', project: 'p' })).toThrow('url');
    expect(() => createMeshClient({ url: 'http://gw', project: '' })).toThrow('project');
  });
});

describe('createMeshClient().emit', () => {
  it('POSTs {type, payload, id, delay} to the eventing queue and resolves to the event id', async () => {
    const { fetch, requests } = fakeFetch(() => json(202, { id: 'evt-1' }));
    const client = createMeshClient({ url: 'http://gw', project: 'demo', fetch });
    await expect(client.emit('user.signup', { userId: 1 }, { id: 'evt-1', delay: 5000 })).resolves.toBe('evt-1');
    expect(requests[0].url).toBe('http://gw/v1/api/demo/eventing/queue');
    expect(requests[0].body).toEqual({ type: 'user.signup', payload: { userId: 1 }, id: 'evt-1', delay: 5000 });
  });

  it('rejects with the gateway error, or BAD_RESPONSE without an id', async () => {
    const forbidden = fakeFetch(() => json(403, { error: 'no rule for user.signup', code: 'FORBIDDEN' }));
    expect(await rejection(createMeshClient({ url: 'http://gw', project: 'p', fetch: forbidden.fetch }).emit('user.signup'))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    const odd = fakeFetch(() => json(202, {}));
    expect(await rejection(createMeshClient({ url: 'http://gw', project: 'p', fetch: odd.fetch }).emit('x'))).toMatchObject({ code: MeshHttpCodes.BAD_RESPONSE });
  });
});

describe('createMeshClient().stream', () => {
  /** An event-stream answer whose body gives `chunks` one by one, recording whether it was cancelled. */
  function eventStream(chunks: string[], headers: Record<string, string> = {}) {
    const state = { cancelled: false, pulled: 0 };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (state.pulled < chunks.length) controller.enqueue(new TextEncoder().encode(chunks[state.pulled++]));
        else controller.close();
      },
      cancel() {
        state.cancelled = true;
      },
    });
    const response = new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'x-request-id': 'r-9', ...headers } });
    return { response, state };
  }

  async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
    const items: unknown[] = [];
    for await (const item of iterable) items.push(item);
    return items;
  }

  it('asks for server-sent events and yields each item until the end, reading the text in pieces', async () => {
    const { response } = eventStream(['event: item\nda', 'ta: 1\n\nevent: item\ndata: {"a":2}\n', '\nevent: end\ndata: {"count":2}\n\n']);
    const { fetch, requests } = fakeFetch(() => response);
    const client = createMeshClient({ url: 'http://gw', project: 'demo', token: 'tok', fetch });
    await expect(collect(client.stream('sse', 'count', 2, { timeout: 300 }))).resolves.toEqual([1, { a: 2 }]);
    expect(requests[0].url).toBe('http://gw/v1/api/demo/functions/sse/count');
    expect(requests[0].init.headers).toMatchObject({ accept: 'text/event-stream', 'content-type': 'application/json', authorization: 'Bearer tok' });
    expect(requests[0].body).toEqual({ params: 2, timeout: 300 });
  });

  it('throws the error of an `error` event as a MeshHttpError, after the items before it', async () => {
    const { response } = eventStream(['event: item\ndata: 1\n\nevent: error\ndata: {"error":"no more","code":"NO_MORE","status":409}\n\n']);
    const items: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const item of createMeshClient({ url: 'http://gw', project: 'p', fetch: fakeFetch(() => response).fetch }).stream('s', 'f')) items.push(item);
      })(),
    );
    expect(items).toEqual([1]);
    expect(error).toMatchObject({ status: 409, code: 'NO_MORE', message: 'no more', requestId: 'r-9' });
  });

  it('throws the JSON error of a call that failed before the stream began', async () => {
    const { fetch } = fakeFetch(() => json(403, { error: 'no rule', code: 'FORBIDDEN' }, { 'x-request-id': 'r-1' }));
    const error = await rejection(collect(createMeshClient({ url: 'http://gw', project: 'p', fetch }).stream('s', 'f')));
    expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN', requestId: 'r-1' });
  });

  it('throws BAD_RESPONSE when the stream stops without an end', async () => {
    const { response } = eventStream(['event: item\ndata: 1\n\n']);
    const error = await rejection(collect(createMeshClient({ url: 'http://gw', project: 'p', fetch: fakeFetch(() => response).fetch }).stream('s', 'f')));
    expect(error.code).toBe(MeshHttpCodes.BAD_RESPONSE);
  });

  it('aborts the request when the iteration is left early', async () => {
    const { response, state } = eventStream(['event: item\ndata: 1\n\n', 'event: item\ndata: 2\n\n', 'event: item\ndata: 3\n\n']);
    let signal: AbortSignal | undefined;
    const { fetch } = fakeFetch((_, init) => {
      signal = init.signal;
      return response;
    });
    for await (const item of createMeshClient({ url: 'http://gw', project: 'p', fetch }).stream('s', 'f')) {
      expect(item).toBe(1);
      break;
    }
    expect(signal?.aborted).toBe(true);
    expect(state.pulled).toBeLessThan(3);
  });

  it('refuses invalid names without a request', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, {}));
    const error = await rejection(collect(createMeshClient({ url: 'http://gw', project: 'p', fetch }).stream('bad name', 'f')));
    expect(error.code).toBe('BAD_REQUEST');
    expect(requests).toHaveLength(0);
  });
});
