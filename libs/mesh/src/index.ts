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
export { DEFAULT_CALL_TIMEOUT, DEFAULT_GRACE_PERIOD, DEFAULT_VERSION } from './options';
export { MeshServer, meshMicroservice, MESH_TRANSPORT } from './mesh-server';
export { MeshConnection } from './mesh-connection';

// Calling functions
export { MeshClient } from './mesh-client';
export type { CallOptions, EmitOptions } from './mesh-client';
export { currentCall } from './call-storage';

// The wire, for tools and services that speak it directly
export { SUBJECT_PREFIX, EMIT_SUBJECT, QUEUE_GROUP, NAME_PATTERN, MeshHeaders, isValidName, subjectFor, parseSubject, errorHeaders, errorOfHeaders } from './wire';
export { decodeJson, encodeJson } from './json';
