/**
 * The facts every side of the mesh shares: names and patterns, subjects, header names, codes with
 * their statuses, routes and shared defaults. Browser-safe and without dependencies: the library,
 * the client, the rules, eventing and the gateway import it; nothing restates it (docs/protocol.md).
 */
export * from './names';
export * from './subjects';
export * from './headers';
export * from './codes';
export * from './routes';
export * from './event-stream';
export * from './defaults';
export * from './function-types';
