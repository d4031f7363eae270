import 'reflect-metadata';
import { runCli } from './cli/cli';

/** What 'nest-mesh/testing' (libs/mesh/src/testing) takes from this bundle: one gateway, not a second copy of it. */
export { startTestingGateway } from './testing/testing-gateway';

/** The real `require` of this bundle's file (webpack's own stands in for `require` inside it). */
declare const __non_webpack_require__: NodeJS.Require;

/**
 * The gateway's entry point and the package's `nest-mesh` command:
 * `node dist/apps/gateway/main.js --config mesh.yaml` and `nest-mesh gateway --config mesh.yaml`
 * run the gateway; `nest-mesh --help` lists the other commands. Required by another module
 * ('nest-mesh/testing'), it only exports.
 */
if (__non_webpack_require__.main?.filename === __filename) void runCli(process.argv.slice(2));
