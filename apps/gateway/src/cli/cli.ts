import { CommandResult } from './command-result';
import { natsConfigCommand } from './nats-config-command';
import { runGateway } from './run-gateway';
import { typesCommand } from './types/types-command';

const USAGE = `Usage: nest-mesh <command> [flags]

  gateway [--config mesh.yaml]         run the gateway (config: --config, else env MESH_CONFIG,
                                       else ./mesh.yaml; env PORT overrides the port)
  nats-config [--config mesh.yaml]     print the broker users and permissions for nats-server
  types --url <gateway> [--project <id>] [--out mesh-types.d.ts] [--token <jwt>]
  types --openapi <openapi.json> [--out mesh-types.d.ts]
                                       write the MeshFunctions type for typed calls of nest-mesh/client

Without a command (or with flags only) it runs the gateway. See docs/getting-started.md.
`;

/**
 * The `nest-mesh` command (the package's bin; also `node dist/apps/gateway/main.js`, which is the
 * same file). The gateway runs until stopped; the other commands print and exit.
 */
export async function runCli(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command.startsWith('-')) {
    if (command === '--help' || command === '-h') return finish({ code: 0, stdout: USAGE });
    return runGateway(argv);
  }
  switch (command) {
    case 'gateway':
      return runGateway(rest);
    case 'nats-config':
      return finish(natsConfigCommand(rest));
    case 'types':
      return finish(await typesCommand(rest));
    case 'help':
      return finish({ code: 0, stdout: USAGE });
    default:
      return finish({ code: 1, stderr: `nest-mesh: unknown command "${command}"\n${USAGE}` });
  }
}

function finish(result: CommandResult): void {
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
