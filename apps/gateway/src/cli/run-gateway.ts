import { ConfigReloader } from '../config/config-reloader';
import { ConfigError, configPathFrom, loadConfig } from '../config/load-config';
import { startGateway } from '../gateway';

/**
 * `nest-mesh gateway --config mesh.yaml` (also `node dist/apps/gateway/main.js --config mesh.yaml`):
 * reads and checks the config (a mistake stops here with one line naming its path), starts the
 * gateway, stops it on SIGTERM/SIGINT, and reloads the rules and token settings from the same
 * file on SIGHUP. The config path is `--config`, else env MESH_CONFIG, else ./mesh.yaml; env PORT
 * overrides the port (docs/config.md).
 */
export async function runGateway(argv: readonly string[]): Promise<void> {
  let config;
  let configPath: string;
  try {
    configPath = configPathFrom(argv);
    config = loadConfig(configPath);
  } catch (error) {
    return fail(error instanceof ConfigError ? `config: ${error.message}` : (error as Error).message);
  }
  let gateway;
  try {
    gateway = await startGateway(config);
  } catch (error) {
    return fail((error as Error).message);
  }
  process.stdout.write(`nest-mesh gateway: ${gateway.url}\nnest-mesh broker: ${gateway.brokerUrl}\n`);
  if (gateway.managementUrl) process.stdout.write(`nest-mesh management: ${gateway.managementUrl}\n`);
  // Without its broker the gateway can serve nothing: stop, and let the supervisor start it again.
  gateway.broker?.onCrash((error) => fail(`the embedded broker stopped: ${error.message}`));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.markStopping(); // /readyz answers 503 from here on, so load balancers stop sending first
    process.stdout.write(`nest-mesh gateway: ${signal}, stopping\n`);
    gateway.close().then(
      () => process.exit(0),
      (error: Error) => fail(`stopping failed: ${error.message}`),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const reloader = gateway.app.get(ConfigReloader);
  process.on('SIGHUP', () => {
    if (!stopping) void reloader.reload(configPath);
  });
}

function fail(message: string): void {
  process.stderr.write(`nest-mesh gateway: ${message}\n`);
  process.exit(1);
}
