/**
 * Preloaded (`node -r`) into the gateway process by the benchmarks: reports on stderr which Nest
 * HTTP adapter actually listens ("nest-mesh-bench: http adapter fastify"), so a config that asks for
 * fastify on a gateway that silently serves express is told apart. It changes no behaviour: it wraps
 * `listen` of the adapter classes once their module is loaded.
 */
import Module = require('node:module');

const ADAPTERS: Record<string, { exportName: string; name: string }> = {
  '@nestjs/platform-fastify': { exportName: 'FastifyAdapter', name: 'fastify' },
  '@nestjs/platform-express': { exportName: 'ExpressAdapter', name: 'express' },
};

const wrapped = new Set<string>();
const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = moduleInternals._load;

moduleInternals._load = function (request: string, ...rest: unknown[]) {
  const exports = load.call(this, request, ...rest) as Record<string, unknown>;
  const adapter = ADAPTERS[request];
  if (adapter && !wrapped.has(request)) {
    wrapped.add(request);
    const cls = exports[adapter.exportName] as { prototype: { listen: (...args: unknown[]) => unknown } } | undefined;
    const listen = cls?.prototype.listen;
    if (cls && listen) {
      cls.prototype.listen = function (this: unknown, ...args: unknown[]) {
        process.stderr.write(`nest-mesh-bench: http adapter ${adapter.name}\n`);
        return listen.apply(this, args);
      };
    }
  }
  return exports;
};
