/**
 * 'nest-mesh/testing': test a mesh app with jest or node:test (docs/testing.md). A gateway and
 * broker in the test's process (`createTestingMesh`), and a call's context for unit tests of a
 * handler (`meshContext`). It lives in the library, not in the gateway's bundle, so `meshContext`
 * makes the app's own MeshContext; `createTestingMesh` loads the bundle only when called, and the
 * gateway runs there on the bundle's own Nest.
 */
export { createTestingMesh } from './testing-mesh';
export type { TestingCallOptions, TestingMesh, TestingMeshConfig } from './testing-mesh';
export { meshContext } from './mesh-context';
export type { MeshContextOptions } from './mesh-context';
