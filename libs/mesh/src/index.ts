/**
 * The public API of 'nest-mesh', named one by one: what is not listed here is internal and may
 * change. docs/getting-started.md shows how the pieces fit; docs/protocol.md the wire.
 */

// Declaring services and functions
export { MeshService, MeshFunction } from './service/decorators';
export type { MeshServiceOptions, MeshFunctionOptions } from './service/decorators';
export { MeshContext } from './service/mesh-context';
export type { MeshAuth, MeshEvent } from './service/mesh-context';
export { MeshError } from './mesh-error';
export { MeshCodes } from '@nest-mesh/wire';

// Serving (the transport) and calling (the module and its client)
export { meshMicroservice } from './service/mesh-server';
export { MeshModule } from './mesh.module';
export type { MeshOptions } from './options';
export { MeshClient } from './calling/mesh-client';
export type { CallOptions, EmitOptions, MeshCallArgs, StreamOptions } from './calling/mesh-client';

// Trust: verifying the gateway's Mesh-Token, and a service identity's own reply inbox (docs/security.md)
export type { MeshVerifyOptions } from './token';
export { identityInboxPrefix } from '@nest-mesh/wire';
