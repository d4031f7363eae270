import type { MessageHandler } from '@nestjs/microservices';
import { declarationOf, FunctionDeclaration, meshFunctionClasses, meshServiceClasses, meshServiceName } from './decorators';

/**
 * The mistakes that would otherwise leave functions silently unserved (docs/getting-started.md#when-nothing-is-served):
 * the same `<service>.<func>` in two classes is a start-up error naming both; a `@MeshService`
 * class that is no controller of the app, and `@MeshFunction`s in a class without `@MeshService`,
 * are start-up warnings naming the class and what to do.
 */

/** The error for a function that two handlers serve (Nest would keep the last one, silently). */
export function duplicateFunctionError(subject: string, first: MessageHandler | undefined, second: MessageHandler): Error {
  return new Error(
    `${subject} is served by both ${whereOf(declarationOf(first))} and ${whereOf(declarationOf(second))}: ` +
      'a function has one handler; rename one of them (@MeshFunction or @MeshService)',
  );
}

/** Warnings about classes whose functions this server does not serve although they were meant to be. */
export function unservedWarnings(handlers: Iterable<MessageHandler>): string[] {
  const served = new Set<Function>();
  for (const handler of handlers) {
    const declaration = declarationOf(handler);
    if (declaration) served.add(declaration.owner);
  }
  const warnings: string[] = [];
  for (const target of meshFunctionClasses) {
    if (meshServiceName(target) !== undefined) continue;
    warnings.push(
      `${target.name} has @MeshFunction methods but no @MeshService, so none of them is served: ` +
        `put @MeshService('<service>') on the class and list it in a module's controllers`,
    );
  }
  for (const target of meshServiceClasses) {
    if (served.has(target)) continue;
    warnings.push(
      `${target.name} (@MeshService('${meshServiceName(target)}')) is not served: no module lists it in its controllers. ` +
        'A mesh service is a Nest controller: list it in controllers, not providers',
    );
  }
  return warnings;
}

function whereOf(declaration: FunctionDeclaration | undefined): string {
  return declaration ? `${declaration.owner.name}.${declaration.method}()` : 'a @MessagePattern handler';
}
