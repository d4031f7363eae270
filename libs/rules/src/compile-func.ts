import { ALLOW, Decision, Denial, RuleArgs, RuleCaller, RuleConfigError, forbidden } from './types';
import { isValidName, NAME_RULE } from '@nest-mesh/wire';
import { CompileContext, CompiledRule, isPlainObject, isPositiveInteger, show } from './compiled-rule';

/** The `func` rule: asks a mesh function, which must reply `{"ack": true}` to allow. */

export function compileFunc(config: Record<string, unknown>, path: string, ctx: CompileContext): CompiledRule {
  const target = { service: checkName(config.service, `${path}.service`), func: checkName(config.func, `${path}.func`) };
  let timeoutMs = ctx.funcTimeoutMs;
  if (config.timeout !== undefined) {
    if (!isPositiveInteger(config.timeout)) {
      throw new RuleConfigError(`${path}.timeout`, `must be a whole number of milliseconds >= 1, not ${show(config.timeout)}`);
    }
    timeoutMs = config.timeout;
  }
  const called = `${target.service}.${target.func}`;
  const denials: FuncDenials = {
    noCaller: forbidden(path, `func rule ${called}: no mesh caller configured`),
    failed: forbidden(path, `func rule ${called}: the call failed`),
    timedOut: forbidden(path, `func rule ${called}: no reply within ${timeoutMs} ms`),
    noAck: forbidden(path, `func rule ${called}: the reply is not {"ack": true}`),
  };
  const compiledCaller = ctx.caller;
  return {
    async: true,
    evaluate: (args, service, func) => callGuard(args.caller ?? compiledCaller, target, timeoutMs, denials, args, service, func),
  };
}

interface FuncDenials {
  readonly noCaller: Denial;
  readonly failed: Denial;
  readonly timedOut: Denial;
  readonly noAck: Denial;
}

function checkName(value: unknown, path: string): string {
  if (value === undefined) throw new RuleConfigError(path, 'required');
  if (!isValidName(value)) {
    throw new RuleConfigError(path, `invalid name ${show(value)} (${NAME_RULE})`);
  }
  return value;
}

function isAck(reply: unknown): boolean {
  return isPlainObject(reply) && reply.ack === true;
}

/**
 * Calls the guard function directly on the mesh (the caller never goes through the rules, so a rule
 * cannot loop). Never rejects: a false ack, an error, no instance or the timeout all give a denial.
 */
function callGuard(
  caller: RuleCaller | undefined,
  target: { readonly service: string; readonly func: string },
  timeoutMs: number,
  denials: FuncDenials,
  args: RuleArgs,
  service: string,
  func: string,
): Promise<Decision> {
  if (caller === undefined) return Promise.resolve(denials.noCaller);
  const payload = { params: args.params === undefined ? null : args.params, auth: args.auth ?? null, service, func };
  return new Promise<Decision>((resolve) => {
    let settled = false;
    const settle = (decision: Decision): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(decision);
    };
    const timer = setTimeout(() => settle(denials.timedOut), timeoutMs);
    let reply: Promise<unknown>;
    try {
      reply = Promise.resolve(caller.call(target.service, target.func, payload, timeoutMs, args.origin));
    } catch {
      settle(denials.failed);
      return;
    }
    reply.then(
      (value) => settle(isAck(value) ? ALLOW : denials.noAck),
      () => settle(denials.failed),
    );
  });
}
