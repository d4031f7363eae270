const { builtinModules } = require('node:module');
const webpack = require('webpack');
const { dependencies, peerDependencies } = require('../../package.json');
const { compilerOptions } = require('../../tsconfig.json');

/**
 * The packages the bundle requires at run time from the app's node_modules: the package's
 * dependencies and peers, except Nest's own (docs/getting-started.md#0-install).
 */
const FROM_NODE_MODULES = new Set([...Object.keys(dependencies), ...Object.keys(peerDependencies)].filter((name) => !name.startsWith('@nestjs/')));
const NODE_BUILTINS = new Set(builtinModules);
/** Our own libraries ('nest-mesh', '@nest-mesh/broker', ...), found through tsconfig paths. */
const OUR_LIBRARIES = new Set(Object.keys(compilerOptions.paths));

/**
 * The gateway's bundle, as Nest CLI makes it, plus:
 * - a second entry: the embedded broker's worker thread (BrokerThread looks for
 *   `broker-thread-main.js` next to the code that starts it);
 * - the console's static page files, bundled as text;
 * - Nest inside: an app that installs the package may run Nest 11 or Nest 12, so the bundle
 *   carries the Nest it was built and tested with (common, core, microservices, the HTTP adapters,
 *   terminus, and what they use) and its own copy of libs/mesh on that Nest; at run time it
 *   requires only Node's modules and FROM_NODE_MODULES. A package that a bundled one loads only
 *   when the app uses it (grpc, kafka, @fastify/static, ...) and that is not installed here is
 *   left out: loading it fails as it would in an app without it;
 * - dynamic imports inside the entry's own file (no chunk files beside it);
 * - a `#!/usr/bin/env node` line on main.js, which is also the package's `nest-mesh` command;
 * - main.js is a CommonJS library too: 'nest-mesh/testing' requires it for `startTestingGateway`
 *   (docs/testing.md), so the package holds one copy of the gateway; run as the main module, it is
 *   the command (apps/gateway/src/main.ts).
 */
module.exports = (options) => ({
  ...options,
  entry: {
    main: { import: options.entry, library: { type: 'commonjs2' } },
    'broker-thread-main': './libs/broker/src/broker-thread-main.ts',
  },
  output: { ...options.output, filename: 'apps/gateway/[name].js' },
  module: {
    ...options.module,
    parser: { javascript: { dynamicImportMode: 'eager' } },
    // The console's page files are bundled as text (apps/gateway/src/console/console-page.ts).
    rules: [...(options.module?.rules ?? []), { test: /[\\/]console[\\/]static[\\/][^\\/]+\.(html|css|js)$/, type: 'asset/source' }],
  },
  externals: [fromNodeModules],
  plugins: [
    ...options.plugins,
    new webpack.IgnorePlugin({ checkResource: notInstalled }),
    // terminus looks for optional database packages with require(`${name}`): nothing to bundle there.
    new webpack.ContextReplacementPlugin(/@nestjs[\\/]terminus[\\/]dist[\\/]utils$/, /$^/),
    new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true, include: /(^|\/)main\.js$/ }),
  ],
});

function fromNodeModules({ request }, callback) {
  if (request.startsWith('node:') || NODE_BUILTINS.has(request) || FROM_NODE_MODULES.has(packageName(request))) {
    return callback(null, `commonjs ${request}`);
  }
  callback();
}

function notInstalled(request, context) {
  const name = packageName(request);
  if (!name || NODE_BUILTINS.has(request) || request.startsWith('node:') || OUR_LIBRARIES.has(request)) return false;
  try {
    require.resolve(request, { paths: [context] });
    return false;
  } catch {
    return true;
  }
}

/** 'fastify' for 'fastify/lib/x', '@nestjs/core' for '@nestjs/core/router'; undefined for a relative path. */
function packageName(request) {
  return /^(@[^/]+\/)?[^/.][^/]*/.exec(request)?.[0];
}
