import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { headers as natsHeaders } from 'nats';
import { MeshContext } from '../service/mesh-context';
import { activeTracer, passTraceHeaders, startCallSpan, traceHeadersContext } from './tracing';

describe('tracing', () => {
  afterEach(() => {
    trace.disable();
    propagation.disable();
  });

  it('has no tracer until an SDK is registered, then the SDK one', () => {
    expect(activeTracer()).toBeUndefined();
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    expect(activeTracer()).toBeDefined();
  });

  it('without an SDK passes the given W3C headers on, else those of the call being served', () => {
    const given = natsHeaders();
    passTraceHeaders(given, traceHeadersContext('00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01', 'v=1'), undefined);
    expect(given.get('traceparent')).toBe('00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01');
    expect(given.get('tracestate')).toBe('v=1');

    const incoming = natsHeaders();
    incoming.set('traceparent', '00-cccccccccccccccccccccccccccccccc-dddddddddddddddd-01');
    const inherited = natsHeaders();
    passTraceHeaders(inherited, undefined, new MeshContext('mesh.a.b', incoming, 'a', 'b'));
    expect(inherited.get('traceparent')).toBe('00-cccccccccccccccccccccccccccccccc-dddddddddddddddd-01');
    expect(inherited.has('tracestate')).toBe(false);

    const none = natsHeaders();
    passTraceHeaders(none, undefined, undefined);
    expect(none.keys()).toEqual([]);
  });

  it('with an SDK injects the CLIENT span of a call into the NATS headers', () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const headers = natsHeaders();
    const span = startCallSpan(activeTracer()!, 'mesh.a.b', 'a', 'b', headers);
    const { traceId, spanId } = span.spanContext();
    expect(headers.get('traceparent')).toBe(`00-${traceId}-${spanId}-01`);
    span.end();
  });
});
