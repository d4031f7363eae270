/**
 * The gateway's bundle, as Nest CLI makes it, plus a second entry: the embedded broker's worker
 * thread (BrokerThread looks for `broker-thread-main.js` next to the code that starts it); and the
 * console's static page files bundled as text.
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
});
