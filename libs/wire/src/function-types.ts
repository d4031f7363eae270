/**
 * The shape of a `MeshFunctions` map, as `nest-mesh types` writes it (docs/getting-started.md#5-typed-calls):
 * each service's functions with their params and result,
 * `{ users: { create: { params: { name: string }; result: { id: string } } } }`. Both clients
 * (`MeshClient<MeshFunctions>`, `createMeshClient<MeshFunctions>`) check calls against it.
 */

/** What one function takes and gives. */
export interface MeshFunctionTypes {
  params: unknown;
  result: unknown;
}

/** The map of an untyped client: any service, any function, any params. */
export type AnyMeshFunctions = Record<string, Record<string, MeshFunctionTypes>>;

/** The params type of a function entry (unknown when the entry does not say). */
export type ParamsOf<T> = T extends { params: infer P } ? P : unknown;

/** The result type of a function entry (unknown when the entry does not say). */
export type ResultOf<T> = T extends { result: infer R } ? R : unknown;
