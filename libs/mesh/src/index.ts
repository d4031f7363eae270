/**
 * The public API of 'nest-mesh', named one by one: what is not listed here is internal and may
 * change. docs/getting-started.md shows how the pieces fit; docs/protocol.md the wire.
 */

// Declaring services and functions
export { MeshService, MeshFunction } from './decorators';
export { MeshContext } from './mesh-context';
export type { MeshAuth, MeshEvent } from './mesh-context';
export { MeshError, MeshCodes, codeForStatus } from './mesh-error';

// Connecting: the module (for MeshClient) and the transport (for serving)
export { MeshModule } from './mesh.module';
export { MESH_OPTIONS } from './mesh.module-definition';
export type { MeshOptions } from './options';
export { DEFAULT_CALL_TIMEOUT, DEFAULT_GRACE_PERIOD, DEFAULT_VERSION, connectionOptions } from './options';
export { MeshServer, meshMicroservice, MESH_TRANSPORT } from './mesh-server';
export { MeshConnection } from './mesh-connection';

// Calling functions
export { MeshClient } from './mesh-client';
export type { CallOptions, EmitOptions } from './mesh-client';
export { currentCall } from './call-storage';

// Trust: the gateway's Mesh-Token, verified by services (docs/security.md)
export { MeshTokenVerifier, isCanonicalJws, MESH_TOKEN_ALG, MESH_TOKEN_TYPE, MESH_TOKEN_ISSUER, MESH_TOKEN_MAX_LIFETIME_SEC } from './token';
export type { MeshVerifyOptions, MeshTokenSigner, MeshTokenClaims } from './token';

// The wire, for tools and services that speak it directly
export { SUBJECT_PREFIX, EMIT_SUBJECT, QUEUE_GROUP, NAME_PATTERN, MeshHeaders, isValidName, subjectFor, parseSubject, errorHeaders, errorOfHeaders, identityInboxPrefix } from './wire';
export { decodeJson, encodeJson } from './json';

// Observability: metrics in the app's prom-client registry, OpenTelemetry spans (docs/operations.md)
export { FunctionMetrics, FunctionSeries, FunctionMetricNames } from './metrics';
export { PreparedCounter, PreparedHistogram, CounterChild, HistogramChild, registerPrepared, CALL_DURATION_BUCKETS } from './metric-series';
export { activeTracer, traceHeadersContext, failSpan, TRACER_NAME } from './tracing';
// Params schemas announced to discovery (docs/discovery.md)
export { PARAMS_METADATA_KEY } from './wire';
export { paramsSchemaOf, PARAMS_SCHEMA_LIMIT } from './params-schema';
export type { JsonSchema } from './params-schema';
