/**
 * The gateway's bundle, as Nest CLI makes it, plus a second entry: the embedded broker's worker
 * thread (BrokerThread looks for `broker-thread-main.js` next to the code that starts it).
 */
module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    'broker-thread-main': './libs/broker/src/broker-thread-main.ts',
  },
  output: { ...options.output, filename: 'apps/gateway/[name].js' },
});
