import { Catch, Controller, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { PARAM_ARGS_METADATA } from '@nestjs/microservices/constants';
import { Observable, throwError } from 'rxjs';
import { isValidName, NAME_RULE, subjectFor } from '@nest-mesh/wire';

const MESH_SERVICE = 'nest-mesh:service';
const MESH_FUNCTION = 'nest-mesh:function';
/** The handler extra (Nest `MessagePattern` extras) that carries the type of a function's params. */
export const PARAMS_TYPE_EXTRA = 'nestMeshParamsType';

/**
 * Hands every exception of a mesh function to the transport unchanged, so that the mesh maps
 * it to the wire in one place (MeshError keeps its status and code; anything else is a 500).
 * Filters the user puts on a method still run first.
 */
@Catch()
class MeshPassThroughFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a class as a mesh service named `name`: its `@MeshFunction`s are served on
 * `mesh.<name>.<func>`. The class is a Nest controller: list it in a module's `controllers`.
 */
export function MeshService(name: string): ClassDecorator {
  assertName('service', name);
  return (target) => {
    const proto = target.prototype as Record<string, unknown>;
    const seen = new Map<string, string>();
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      const func: string | undefined = descriptor && Reflect.getMetadata(MESH_FUNCTION, proto, key);
      if (!descriptor || func === undefined) continue;
      const clash = seen.get(func);
      if (clash) throw new Error(`@MeshFunction('${func}') is on both ${clash}() and ${key}() of service "${name}"`);
      seen.set(func, key);
      // The params type reaches the transport as a handler extra, for the params schema (params-schema.ts).
      const paramsType: unknown = Reflect.getMetadata('design:paramtypes', proto, key)?.[0];
      MessagePattern(subjectFor(name, func), { [PARAMS_TYPE_EXTRA]: paramsType })(proto, key, descriptor);
    }
    Reflect.defineMetadata(MESH_SERVICE, name, target);
    Controller()(target);
    UseFilters(new MeshPassThroughFilter())(target);
  };
}

/**
 * Marks a method of a `@MeshService` class as the function `name`. The method receives
 * `(params, ctx: MeshContext)`; Nest pipes (e.g. ValidationPipe) apply to `params`.
 */
export function MeshFunction(name: string): MethodDecorator {
  assertName('function', name);
  return (target, key) => {
    Reflect.defineMetadata(MESH_FUNCTION, name, target, key);
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

function assertName(kind: string, name: string): void {
  if (!isValidName(name)) throw new Error(`invalid mesh ${kind} name "${name}": it ${NAME_RULE}`);
}
