const { isAbsolute, join, resolve, sep } = require('node:path');
const webpack = require('webpack');

const MESH_LIBRARY = join(__dirname, '..', '..', 'libs', 'mesh', 'src') + sep;

/**
 * The gateway's bundle, as Nest CLI makes it, plus:
 * - a second entry: the embedded broker's worker thread (BrokerThread looks for
 *   `broker-thread-main.js` next to the code that starts it);
 * - the console's static page files, bundled as text;
 * - `nest-mesh` stays outside the bundle: at run time it resolves to the package's own compiled
 *   library (dist/libs/mesh, through the package's `exports`), so a process never holds two copies
 *   of MeshClient, MeshError and their Nest metadata. `nest-mesh/internal` (what only the gateway
 *   uses) is not in the exports: it is required by its path next to main.js. Reaching into
 *   libs/mesh by a relative path would bundle a second copy, so the build refuses it;
 * - a `#!/usr/bin/env node` line on main.js, which is also the package's `nest-mesh` command.
 */
module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'broker-thread-main': './libs/broker/src/broker-thread-main.ts',
  },
  output: { ...options.output, filename: 'apps/gateway/[name].js' },
  module: {
    ...options.module,
    // The console's page files are bundled as text (apps/gateway/src/console/console-page.ts).
    rules: [...(options.module?.rules ?? []), { test: /[\\/]console[\\/]static[\\/][^\\/]+\.(html|css|js)$/, type: 'asset/source' }],
  },
  externals: [...options.externals, meshLibraryOutside],
  plugins: [...options.plugins, new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true, include: /(^|\/)main\.js$/ })],
});

function meshLibraryOutside({ context, request }, callback) {
  if (request === 'nest-mesh') return callback(null, 'commonjs nest-mesh');
  if (request === 'nest-mesh/internal') return callback(null, 'commonjs ../../libs/mesh/src/internal');
  const target = request.startsWith('.') ? resolve(context, request) : isAbsolute(request) ? request : '';
  if (target.startsWith(MESH_LIBRARY)) {
    return callback(new Error(`${context}: import '${request}' from 'nest-mesh' instead (libs/mesh must not be bundled into the gateway)`));
  }
  callback();
}
