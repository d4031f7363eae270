/**
 * What the gateway (and this repo's tests and benchmarks) use of the library beyond its public API.
 * Not in the package's exports: users import 'nest-mesh' (index.ts).
 */
export { MeshServer, MESH_TRANSPORT } from './service/mesh-server';
export { paramsSchemaOf, PARAMS_SCHEMA_LIMIT } from './service/params-schema';
export type { JsonSchema } from './service/params-schema';
export { currentCall } from './service/call-storage';
export { meshErrorOf } from './service/failure';
export { MeshConnection } from './calling/mesh-connection';
export { decodeReply, replyJson } from './calling/mesh-client';
export { RequestMux } from './calling/request-mux';
export type { RequestFailure, RequestFailureKind } from './calling/request-mux';
export { StreamMux, ReplyStream } from './calling/stream-mux';
export type { StreamFailure, StreamFailureKind, StreamRequestOptions } from './calling/stream-mux';
export { MESH_OPTIONS } from './mesh.module-definition';
export { connectionOptions, inboxPrefixOf, serverCredentials, DEFAULT_GRACE_PERIOD, DEFAULT_VERSION } from './options';
export { errorHeaders, errorOfHeaders } from './error-headers';
export { decodeJson, encodeJson, jsonText } from './json';
export { drainOrClose } from './drain';
export { BrokerConnector } from './connect';
export { MeshTokenVerifier, MeshTokenError, isCanonicalJws, TokenCache, DEFAULT_TOKEN_CACHE_SIZE, joseRefusal, printable, freezeClaims, MESH_TOKEN_ALG, MESH_TOKEN_TYPE, MESH_TOKEN_ISSUER, MESH_TOKEN_MAX_LIFETIME_SEC } from './token';
export type { MeshTokenSigner, MeshTokenClaims, TrustedAuth } from './token';
export { FunctionMetrics, FunctionSeries, FunctionMetricNames } from './telemetry/metrics';
export { PreparedCounter, PreparedHistogram, CounterChild, HistogramChild, registerPrepared, CALL_DURATION_BUCKETS } from './telemetry/metric-series';
export { activeTracer, traceHeadersContext, failSpan, startCallSpan, passTraceHeaders, TRACER_NAME } from './telemetry/tracing';
export { publishFailure } from './payload-limit';
export { nestRequest, readNestAnswer, nestFailure } from './service/nest-envelope';
export type { NestAnswer } from './service/nest-envelope';
