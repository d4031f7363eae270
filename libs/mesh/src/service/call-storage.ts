import { AsyncLocalStorage } from 'node:async_hooks';
import type { MeshContext } from './mesh-context';

/**
 * The mesh call being served on this async path. MeshClient reads it so that a function
 * calling another passes on the caller's auth, request id and remaining deadline.
 */
export const currentCall = new AsyncLocalStorage<MeshContext>();
