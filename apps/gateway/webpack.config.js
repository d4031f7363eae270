const webpack = require('webpack');

/**
 * The gateway's bundle, as Nest CLI makes it, plus:
 * - a second entry: the embedded broker's worker thread (BrokerThread looks for
 *   `broker-thread-main.js` next to the code that starts it);
 * - `nest-mesh` stays outside the bundle: at run time it resolves to the package's own compiled
 *   library (dist/libs/mesh, through the package's `exports`), so a process never holds two copies
 *   of MeshClient, MeshModule and their Nest metadata;
 * - a `#!/usr/bin/env node` line on main.js, which is also the package's `nest-mesh` command.
 */
module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'broker-thread-main': './libs/broker/src/broker-thread-main.ts',
  },
  output: { ...options.output, filename: 'apps/gateway/[name].js' },
  externals: [...options.externals, { 'nest-mesh': 'commonjs nest-mesh' }],
  plugins: [...options.plugins, new webpack.BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true, include: /(^|\/)main\.js$/ })],
});
