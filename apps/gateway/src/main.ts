import 'reflect-metadata';
import { runCli } from './cli/cli';

/**
 * The gateway's entry point and the package's `nest-mesh` command:
 * `node dist/apps/gateway/main.js --config mesh.yaml` and `nest-mesh gateway --config mesh.yaml`
 * run the gateway; `nest-mesh --help` lists the other commands.
 */
void runCli(process.argv.slice(2));
