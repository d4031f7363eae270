import { apiPath, EVENT_STREAM_CONTENT_TYPE, HttpHeaders, NAME_PATTERN, StreamEvents } from '@nest-mesh/wire';
import { EventStreamParser } from './event-stream-parser.js';
import { MeshHttpCodes, MeshHttpError } from './mesh-http-error.js';
import type { AnyMeshFunctions, CallArgs, MeshCallOptions, MeshEmitOptions, ResultOf } from './types.js';

/** The part of `fetch` the client uses; the global `fetch` of browsers, Node, Deno and Bun fits. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as it comes: what `stream` reads. */
  body?: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
}>;

/** Options of `createMeshClient`. */
export interface MeshClientOptions {
  /** The gateway's base URL, e.g. `https://api.example.com` or `http://127.0.0.1:4122`. */
  url: string;
  /** The project id: the `id` of the gateway's mesh.yaml, the `{project}` of its routes. */
  project: string;
  /** A bearer token (JWT) sent as `Authorization` with every request. */
  token?: string;
  /** Asked before every request for the current token (e.g. a refreshed one); wins over `token`. */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** The fetch to use; the global `fetch` by default. */
  fetch?: FetchLike;
}

/**
 * A client of one project of a nest-mesh gateway, over HTTP (docs/getting-started.md).
 * `F` is the `MeshFunctions` type written by `nest-mesh types`, for calls checked at compile time.
 */
export interface MeshHttpClient<F = AnyMeshFunctions> {
  /**
   * Calls `service.func` with `params`: resolves to the function's result, or rejects with a
   * MeshHttpError (the gateway's status and code; status 0 when the gateway was not reached).
   */
  call<S extends keyof F & string, N extends keyof F[S] & string>(service: S, func: N, ...args: CallArgs<F[S][N]>): Promise<ResultOf<F[S][N]>>;
  /**
   * Queues the event `type` with `payload` (docs/events.md): resolves to the event id once the
   * gateway stored it, or rejects with a MeshHttpError.
   */
  emit(type: string, payload?: unknown, options?: MeshEmitOptions): Promise<string>;
  /**
   * Calls `service.func`, a function that streams (docs/getting-started.md#7-streams), asking for
   * server-sent events: an AsyncIterable of its items, each as it is produced. It throws a
   * MeshHttpError when the call fails or the stream ends with an error (the gateway's status and
   * code); leaving the iteration early (`break`) aborts the request, which stops the function.
   * `timeout` bounds the wait for each item. Each iteration makes the call again.
   */
  stream<S extends keyof F & string, N extends keyof F[S] & string>(service: S, func: N, ...args: CallArgs<F[S][N]>): AsyncIterable<ResultOf<F[S][N]>>;
}

/** The request id header, as fetch lists header names (lower case). */
const REQUEST_ID_HEADER = HttpHeaders.requestId.toLowerCase();

/** How much longer than a call's `timeout` the client waits for the gateway's own answer. */
const TIMEOUT_GRACE_MS = 2000;

/** A client of one project of a gateway: `createMeshClient({ url, project, token }).call(...)`. */
export function createMeshClient<F = AnyMeshFunctions>(options: MeshClientOptions): MeshHttpClient<F> {
  return new HttpMeshClient(options) as unknown as MeshHttpClient<F>;
}

class HttpMeshClient {
  /** The gateway's base URL, without a trailing slash. */
  private readonly url: string;
  private readonly fetch: FetchLike;

  constructor(private readonly options: MeshClientOptions) {
    if (typeof options?.url !== 'string' || options.url === '') throw new TypeError('createMeshClient: `url` is required');
    if (typeof options.project !== 'string' || options.project === '') throw new TypeError('createMeshClient: `project` is required');
    this.url = options.url.replace(/\/+$/, '');
    const given = options.fetch;
    if (!given && typeof globalThis.fetch !== 'function') throw new TypeError('createMeshClient: no global fetch here; pass `fetch`');
    // The global fetch must be called as a plain function (browsers refuse it as a method of another object).
    this.fetch = given ?? ((url, init) => globalThis.fetch(url, init));
  }

  async call(service: string, func: string, params?: unknown, options: MeshCallOptions = {}): Promise<unknown> {
    checkNames(service, func, options.requestId ?? '');
    const body = options.timeout === undefined ? { params: params ?? null } : { params: params ?? null, timeout: options.timeout };
    const localTimeout = options.timeout === undefined ? undefined : options.timeout + TIMEOUT_GRACE_MS;
    const answer = await this.post(`functions/${service}/${func}`, body, options, localTimeout);
    if (!isObject(answer.json) || !('result' in answer.json)) throw badResponse(answer.status, 'has no "result"', answer.requestId);
    return answer.json.result;
  }

  stream(service: string, func: string, params?: unknown, options: MeshCallOptions = {}): AsyncIterable<unknown> {
    return { [Symbol.asyncIterator]: () => this.items(service, func, params, options) };
  }

  private async *items(service: string, func: string, params: unknown, options: MeshCallOptions): AsyncGenerator<unknown, void, undefined> {
    const sentId = options.requestId ?? '';
    checkNames(service, func, sentId);
    const { signal } = options;
    if (signal?.aborted) throw aborted(sentId);
    const body = JSON.stringify(options.timeout === undefined ? { params: params ?? null } : { params: params ?? null, timeout: options.timeout });
    const headers = await this.headers(EVENT_STREAM_CONTENT_TYPE, options.requestId);
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const url = this.url + apiPath(this.options.project, `functions/${service}/${func}`);
    let requestId = sentId;
    const failure = (error: unknown, what: string) => {
      if (signal?.aborted) return aborted(requestId);
      return new MeshHttpError(0, MeshHttpCodes.UNAVAILABLE, `${what} ${url}: ${messageOf(error)}`, requestId);
    };
    try {
      let response: Awaited<ReturnType<FetchLike>>;
      try {
        response = await this.fetch(url, { method: 'POST', headers, body, signal: controller.signal });
      } catch (error) {
        throw failure(error, 'cannot reach the gateway at');
      }
      requestId = response.headers.get(REQUEST_ID_HEADER) ?? sentId;
      if (!response.ok) throw errorOf(response.status, await response.text().catch(() => ''), requestId);
      if (!(response.headers.get('content-type') ?? '').startsWith(EVENT_STREAM_CONTENT_TYPE) || !response.body) {
        throw badResponse(response.status, 'is not a stream of events', requestId);
      }
      const reader = response.body.getReader();
      const parser = new EventStreamParser();
      const decoder = new TextDecoder();
      for (;;) {
        let chunk: { done: boolean; value?: Uint8Array };
        try {
          chunk = await reader.read();
        } catch (error) {
          throw failure(error, 'the stream was cut off by');
        }
        if (chunk.done) throw badResponse(response.status, 'ended without an end event', requestId);
        for (const event of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          const data = parseJson(event.data);
          if (event.event === StreamEvents.item) {
            if (data === undefined) throw badResponse(response.status, 'has an item that is not JSON', requestId);
            yield data;
          } else if (event.event === StreamEvents.end) {
            return;
          } else if (event.event === StreamEvents.error) {
            if (!isObject(data) || typeof data.error !== 'string' || typeof data.code !== 'string') throw badResponse(response.status, 'has an error event that is not a mesh error', requestId);
            throw new MeshHttpError(typeof data.status === 'number' ? data.status : 500, data.code, data.error, requestId);
          }
        }
      }
    } finally {
      // Done, failed or left early: the request is over (the gateway then stops the function).
      controller.abort();
      signal?.removeEventListener('abort', abort);
    }
  }

  async emit(type: string, payload?: unknown, options: MeshEmitOptions = {}): Promise<string> {
    const body: Record<string, unknown> = { type, payload: payload ?? null };
    if (options.id !== undefined) body.id = options.id;
    if (options.delay !== undefined) body.delay = options.delay;
    const answer = await this.post('eventing/queue', body, options);
    if (!isObject(answer.json) || typeof answer.json.id !== 'string') throw badResponse(answer.status, 'has no event "id"', answer.requestId);
    return answer.json.id;
  }

  /** The headers of a request: JSON sent, `accept` asked for, the token, the request id. */
  private async headers(accept: string, requestId: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept };
    const token = this.options.getToken ? await this.options.getToken() : this.options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    return headers;
  }

  /** POSTs `body` as JSON to the project's `route`; resolves to the parsed 2xx answer, or rejects with a MeshHttpError. */
  private async post(
    route: string,
    body: unknown,
    options: { signal?: AbortSignal; requestId?: string },
    localTimeout?: number,
  ): Promise<{ status: number; json: unknown; requestId: string }> {
    const sentId = options.requestId ?? '';
    const { signal } = options;
    if (signal?.aborted) throw aborted(sentId);
    let payload: string;
    try {
      payload = JSON.stringify(body);
    } catch (error) {
      throw new MeshHttpError(400, 'BAD_REQUEST', `cannot send the request as JSON: ${messageOf(error)}`, sentId);
    }
    const headers = await this.headers('application/json', options.requestId);

    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    let timedOut = false;
    const timer =
      localTimeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, localTimeout);
    const url = this.url + apiPath(this.options.project, route);
    try {
      let status: number;
      let text: string;
      let requestId = sentId;
      try {
        const response = await this.fetch(url, { method: 'POST', headers, body: payload, signal: controller.signal });
        status = response.status;
        requestId = response.headers.get(REQUEST_ID_HEADER) ?? sentId;
        text = await response.text();
        if (!response.ok) throw errorOf(status, text, requestId);
      } catch (error) {
        if (error instanceof MeshHttpError) throw error;
        if (signal?.aborted) throw aborted(requestId);
        if (timedOut) throw new MeshHttpError(0, MeshHttpCodes.TIMEOUT, `no answer from the gateway within ${localTimeout} ms`, requestId);
        throw new MeshHttpError(0, MeshHttpCodes.UNAVAILABLE, `cannot reach the gateway at ${url}: ${messageOf(error)}`, requestId);
      }
      const json = parseJson(text);
      if (json === undefined) throw badResponse(status, 'is not JSON', requestId);
      return { status, json, requestId };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    }
  }
}

function checkNames(service: string, func: string, requestId: string): void {
  if (!NAME_PATTERN.test(service) || !NAME_PATTERN.test(func)) {
    throw new MeshHttpError(400, 'BAD_REQUEST', `invalid service or function name "${service}.${func}": names match ${NAME_PATTERN}`, requestId);
  }
}

/** The MeshHttpError of a gateway's error answer `{error, code}`. */
function errorOf(status: number, text: string, requestId: string): MeshHttpError {
  const json = parseJson(text);
  if (isObject(json) && typeof json.error === 'string' && typeof json.code === 'string') {
    return new MeshHttpError(status, json.code, json.error, requestId);
  }
  return badResponse(status, 'is not a mesh error', requestId);
}

function badResponse(status: number, what: string, requestId: string): MeshHttpError {
  return new MeshHttpError(status, MeshHttpCodes.BAD_RESPONSE, `the gateway's answer (HTTP ${status}) ${what}`, requestId);
}

function aborted(requestId: string): MeshHttpError {
  return new MeshHttpError(0, MeshHttpCodes.ABORTED, 'the call was aborted', requestId);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } } | null)?.cause?.message;
  return typeof cause === 'string' ? cause : error instanceof Error ? error.message : String(error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
