/**
 * 'nest-mesh/client': call a nest-mesh gateway from a browser, a frontend framework or any
 * JavaScript runtime with `fetch` (no Node, no Nest). docs/getting-started.md shows its use.
 */
export { createMeshClient } from './create-mesh-client.js';
export type { FetchLike, MeshClientOptions, MeshHttpClient } from './create-mesh-client.js';
export { MeshHttpError, MeshHttpCodes } from './mesh-http-error.js';
export type { AnyMeshFunctions, CallArgs, MeshCallOptions, MeshEmitOptions, MeshFunctionTypes, ParamsOf, ResultOf } from './types.js';
