import { Controller, UseFilters, UsePipes } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { PARAM_ARGS_METADATA } from '@nestjs/microservices/constants';
import { isValidName, NAME_RULE, subjectFor } from '@nest-mesh/wire';
import { MESH_EXCEPTION_PROBE } from './exception-probe';
import { isDtoClass, ResultType } from './params-schema';
import { MESH_VALIDATION } from './validation';

const MESH_SERVICE = 'nest-mesh:service';
const MESH_FUNCTION = 'nest-mesh:function';
/** Nest's `RpcParamtype.PAYLOAD`: the key of a `@Payload()` argument is `3:<index>`. */
const PAYLOAD_PARAM = '3:';

/** Options of `@MeshService(name, options)`. */
export interface MeshServiceOptions {
  /**
   * `false`: the service's functions do not validate their params DTO (the app's own pipes still
   * run), and announce no params schema. Default `true` (docs/getting-started.md#validation).
   */
  validate?: boolean;
}

/** Options of `@MeshFunction(name, options)`. */
export interface MeshFunctionOptions {
  /** As `MeshServiceOptions.validate`, for this function; default: the service's. */
  validate?: boolean;
  /**
   * The type of the result, announced to discovery, OpenAPI and `nest-mesh types`
   * (docs/discovery.md#result-schemas): a class-validator DTO, `[Dto]` for an array of them,
   * `String`, `Number` or `Boolean`. The result itself is not checked.
   */
  result?: ResultType;
}

/** The handler extra (Nest `MessagePattern` extras) that tells the transport about a function. */
export const FUNCTION_EXTRA = 'nestMeshFunction';

/** What the transport knows of a function besides its handler. */
export interface FunctionDeclaration {
  /** The class and method that serve it, for start-up messages. */
  owner: Function;
  method: string;
  /** The type of the params when the mesh validates them (its schema is announced), else undefined. */
  paramsType?: unknown;
  resultType?: ResultType;
}

/** The declaration a handler carries, when `@MeshService` made it. */
export function declarationOf(handler: { extras?: Record<string, unknown> } | undefined): FunctionDeclaration | undefined {
  return handler?.extras?.[FUNCTION_EXTRA] as FunctionDeclaration | undefined;
}

/** Every class with `@MeshService`, and every class with a `@MeshFunction`, for the start-up checks (start-up-checks.ts). */
export const meshServiceClasses = new Set<Function>();
export const meshFunctionClasses = new Set<Function>();

/**
 * Marks a class as a mesh service named `name`: its `@MeshFunction`s are served on
 * `mesh.<name>.<func>`. The class is a Nest controller: list it in a module's `controllers`.
 * Each function gets, after the app's own enhancers, the mesh's validation of its params DTO (unless
 * `validate: false`) and the exception probe that lets the transport map what it threw
 * (exception-probe.ts). The class registers no HTTP route, even in a hybrid app.
 */
export function MeshService(name: string, options: MeshServiceOptions = {}): ClassDecorator {
  assertName('service', name);
  return (target) => {
    const proto = target.prototype as Record<string, unknown>;
    const seen = new Map<string, string>();
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      const func: StoredFunction | undefined = descriptor && Reflect.getMetadata(MESH_FUNCTION, proto, key);
      if (!descriptor || func === undefined) continue;
      const clash = seen.get(func.name);
      if (clash) throw new Error(`@MeshFunction('${func.name}') is on both ${clash}() and ${key}() of service "${name}"`);
      seen.set(func.name, key);
      const payload = payloadParamOf(target, proto, key);
      const validate = (func.options.validate ?? options.validate) !== false;
      // The mesh validates a DTO unless told not to, or unless the argument has pipes of its own.
      if (validate && payload.pipes === 0 && isDtoClass(payload.type)) UsePipes(MESH_VALIDATION)(proto, key, descriptor);
      // Last at method level: of all filters, Nest asks the probe first.
      UseFilters(MESH_EXCEPTION_PROBE)(proto, key, descriptor);
      const declaration: FunctionDeclaration = { owner: target, method: key, paramsType: validate ? payload.type : undefined, resultType: func.options.result };
      MessagePattern(subjectFor(name, func.name), { [FUNCTION_EXTRA]: declaration })(proto, key, descriptor);
    }
    Reflect.defineMetadata(MESH_SERVICE, name, target);
    meshServiceClasses.add(target);
    // No path: Nest's HTTP router neither maps nor logs the class (its handlers serve the mesh only).
    Controller({ path: [] })(target);
  };
}

/**
 * Marks a method of a `@MeshService` class as the function `name`. The method receives
 * `(params, ctx: MeshContext)`; Nest pipes apply to `params`, and a class-validator DTO is
 * validated by default (docs/getting-started.md#validation).
 */
export function MeshFunction(name: string, options: MeshFunctionOptions = {}): MethodDecorator {
  assertName('function', name);
  return (target, key) => {
    Reflect.defineMetadata(MESH_FUNCTION, { name, options } satisfies StoredFunction, target, key);
    meshFunctionClasses.add(target.constructor);
    // Without parameter decorators Nest would skip pipes; give the two arguments their roles
    // unless the user already decorated them (@Payload('field'), @Ctx(), a custom one...).
    const decorated = Reflect.getMetadata(PARAM_ARGS_METADATA, target.constructor, key) ?? {};
    const taken = new Set(Object.values<{ index: number }>(decorated).map((arg) => arg.index));
    if (!taken.has(0)) Payload()(target, key, 0);
    if (!taken.has(1)) Ctx()(target, key, 1);
  };
}

/** The service name of a `@MeshService` class, or undefined. */
export function meshServiceName(target: Function): string | undefined {
  return Reflect.getMetadata(MESH_SERVICE, target);
}

interface StoredFunction {
  name: string;
  options: MeshFunctionOptions;
}

/** The argument that receives the whole params (`@Payload()`, first by default): its type (none when no argument does) and how many pipes of its own. */
function payloadParamOf(target: Function, proto: object, key: string): { type: unknown; pipes: number } {
  const args: Record<string, { index: number; data?: unknown; pipes?: unknown[] }> = Reflect.getMetadata(PARAM_ARGS_METADATA, target, key) ?? {};
  const whole = Object.entries(args).find(([argKey, arg]) => argKey.startsWith(PAYLOAD_PARAM) && arg.data === undefined)?.[1];
  const types: unknown[] | undefined = Reflect.getMetadata('design:paramtypes', proto, key);
  return whole ? { type: types?.[whole.index], pipes: whole.pipes?.length ?? 0 } : { type: undefined, pipes: 0 };
}

function assertName(kind: string, name: string): void {
  if (!isValidName(name)) throw new Error(`invalid mesh ${kind} name "${name}": it ${NAME_RULE}`);
}
