/**
 * OpenTelemetry spans of one call, with the SDK's in-memory exporter: the gateway's SERVER span,
 * its CLIENT span around the NATS request, the service's SERVER span, and a call the function makes
 * while serving, all in one trace (gateway and service in this process; the broker as configured).
 */
import 'reflect-metadata';
import { ConsoleLogger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeshClient, MeshContext, MeshError, MeshFunction, meshMicroservice, MeshModule, MeshService } from 'nest-mesh';
import { parseConfig } from '../../apps/gateway/src/config/load-config';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { freePort } from '../support/free-port';
import { ADAPTERS, BROKERS } from '../support/mesh';
import { describeWithNatsServer, NatsServerProcess } from '../support/nats-server';

jest.setTimeout(60_000);

@MeshService('trace')
class TraceService {
  constructor(private readonly mesh: MeshClient) {}

  @MeshFunction('outer')
  async outer(params: { n: number }): Promise<unknown> {
    return { inner: await this.mesh.call('trace', 'inner', params) };
  }

  @MeshFunction('inner')
  inner(params: { n: number }, ctx: MeshContext): unknown {
    return { n: params.n + 1, traceparent: ctx.traceparent ?? null };
  }

  /** The `func` rule of trace.guarded: allows, and says which request it checked. */
  @MeshFunction('allow')
  allow(_: unknown, ctx: MeshContext): unknown {
    TraceService.checked.push(ctx.requestId);
    return { ack: true };
  }

  static readonly checked: string[] = [];

  @MeshFunction('guarded')
  guarded(): unknown {
    return { guarded: true };
  }

  @MeshFunction('fail')
  fail(): never {
    throw new MeshError(409, 'already there', 'CONFLICT');
  }
}

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

async function spansOfTrace(traceId: string, count: number): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const one = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0];
};

for (const kind of BROKERS) {
  const describeBroker = kind === 'nats-server' ? describeWithNatsServer : describe;
  for (const adapter of ADAPTERS) {
    describeBroker(`tracing (${kind}, ${adapter})`, () => {
      let nats: NatsServerProcess | undefined;
      let gateway: RunningGateway | undefined;
      let service: INestMicroservice | undefined;

      beforeAll(async () => {
        let broker: object;
        if (kind === 'nats-server') {
          nats = await new NatsServerProcess().start();
          broker = { conn: nats.url };
        } else {
          broker = { embedded: { port: await freePort() } };
        }
        const config = parseConfig(
          JSON.stringify({ id: 'demo', port: 0, http: { adapter }, modules: { functions: { ...broker, rules: { trace: { guarded: { rule: 'func', service: 'trace', func: 'allow' }, default: { rule: 'allow' } } } } } }),
        );
        gateway = await startGateway(config, new ConsoleLogger({ logLevels: ['error'] }));
        @Module({ imports: [MeshModule.forRoot({ servers: gateway.brokerUrl })], controllers: [TraceService] })
        class TraceModule {}
        service = await NestFactory.createMicroservice(TraceModule, { ...meshMicroservice({ servers: gateway.brokerUrl }), logger: ['error'] });
        await service.listen();
      });

      afterAll(async () => {
        await service?.close();
        await gateway?.close();
        await nats?.stop();
      });

      it('makes one trace: gateway SERVER -> CLIENT -> service SERVER -> nested CLIENT -> SERVER', async () => {
        exporter.reset();
        const response = await fetch(`${gateway!.url}/v1/api/demo/functions/trace/outer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=abc' },
          body: JSON.stringify({ params: { n: 1 } }),
          signal: AbortSignal.timeout(20_000),
        });
        const body = (await response.json()) as { result: { inner: { traceparent: string } } };
        expect(response.status).toBe(200);
        const spans = await spansOfTrace(CALLER_TRACE, 5);
        expect(spans).toHaveLength(5);

        const http = one(spans, 'POST /v1/api/:project/functions/:service/:func');
        expect(http.kind).toBe(SpanKind.SERVER);
        expect(parentOf(http)).toBe(CALLER_SPAN);
        expect(http.attributes).toMatchObject({
          'http.request.method': 'POST',
          'http.route': '/v1/api/:project/functions/:service/:func',
          'url.path': '/v1/api/demo/functions/trace/outer',
          'url.scheme': 'http',
          'http.response.status_code': 200,
          'mesh.service': 'trace',
          'mesh.function': 'outer',
        });
        expect(http.attributes['mesh.request_id']).toBe(response.headers.get('x-request-id'));

        const send = one(spans, 'send mesh.trace.outer');
        expect(send.kind).toBe(SpanKind.CLIENT);
        expect(parentOf(send)).toBe(http.spanContext().spanId);
        expect(send.attributes).toMatchObject({
          'messaging.system': 'nats',
          'messaging.destination.name': 'mesh.trace.outer',
          'messaging.operation.type': 'send',
        });

        const served = one(spans, 'process mesh.trace.outer');
        expect(served.kind).toBe(SpanKind.SERVER);
        expect(parentOf(served)).toBe(send.spanContext().spanId);
        expect(served.spanContext().traceState?.get('vendor')).toBe('abc');
        expect(served.attributes).toMatchObject({
          'messaging.system': 'nats',
          'messaging.destination.name': 'mesh.trace.outer',
          'messaging.operation.type': 'process',
          'messaging.consumer.group.name': 'q',
          'mesh.service': 'trace',
          'mesh.function': 'outer',
          'messaging.message.conversation_id': response.headers.get('x-request-id'),
        });

        const nested = one(spans, 'send mesh.trace.inner');
        expect(nested.kind).toBe(SpanKind.CLIENT);
        expect(parentOf(nested)).toBe(served.spanContext().spanId);
        const inner = one(spans, 'process mesh.trace.inner');
        expect(parentOf(inner)).toBe(nested.spanContext().spanId);
        // the function sees the W3C header of its own caller's span
        expect(body.result.inner.traceparent).toBe(`00-${CALLER_TRACE}-${nested.spanContext().spanId}-01`);
        for (const span of spans) expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      });

      it("puts a func rule's call in the trace of the call it checks, with the call's request id", async () => {
        exporter.reset();
        const response = await fetch(`${gateway!.url}/v1/api/demo/functions/trace/guarded`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
          body: '{}',
          signal: AbortSignal.timeout(20_000),
        });
        expect(response.status).toBe(200);
        expect(TraceService.checked).toContain(response.headers.get('x-request-id'));
        const spans = await spansOfTrace(CALLER_TRACE, 5);
        const http = one(spans, 'POST /v1/api/:project/functions/:service/:func');
        const rule = one(spans, 'send mesh.trace.allow');
        expect(parentOf(rule)).toBe(http.spanContext().spanId);
        expect(parentOf(one(spans, 'process mesh.trace.allow'))).toBe(rule.spanContext().spanId);
        expect(parentOf(one(spans, 'send mesh.trace.guarded'))).toBe(http.spanContext().spanId);
      });

      it('marks the spans of a failed call with the status and code, and starts a new trace without a traceparent', async () => {
        exporter.reset();
        const response = await fetch(`${gateway!.url}/v1/api/demo/services/trace/fail`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          signal: AbortSignal.timeout(20_000),
        });
        expect(response.status).toBe(409);
        const deadline = Date.now() + 10_000;
        while (exporter.getFinishedSpans().length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        const spans = exporter.getFinishedSpans();
        const http = one(spans, 'POST /v1/api/:project/services/:service/:func');
        expect(http.spanContext().traceId).not.toBe(CALLER_TRACE);
        expect(parentOf(http)).toBeUndefined();
        expect(http.attributes).toMatchObject({ 'http.response.status_code': 409, 'error.type': 'CONFLICT' });
        expect(http.status.code).not.toBe(SpanStatusCode.ERROR); // a 4xx is the caller's, not the server's, failure
        const send = one(spans, 'send mesh.trace.fail');
        const served = one(spans, 'process mesh.trace.fail');
        for (const span of [send, served]) {
          expect(span.spanContext().traceId).toBe(http.spanContext().traceId);
          expect(span.status.code).toBe(SpanStatusCode.ERROR);
          expect(span.attributes).toMatchObject({ 'error.type': 'CONFLICT', 'mesh.status': 409 });
        }
      });
    });
  }
}
