import { GatewayConfig } from '../config/gateway-config';
import { ConfigError, configPathFrom, loadConfig } from '../config/load-config';
import { renderNatsConfig } from '../trust/nats-authorization';
import { CommandResult, failed } from './command-result';

/**
 * `nest-mesh nats-config --config mesh.yaml`: prints the config's broker users and permissions as
 * a nats-server `authorization { ... }` block (docs/security.md). The config is found and checked
 * as the gateway does it.
 */
export function natsConfigCommand(
  argv: readonly string[],
  render: (config: GatewayConfig) => string = renderNatsConfig,
  env: NodeJS.ProcessEnv = process.env,
): CommandResult {
  let config: GatewayConfig;
  try {
    config = loadConfig(configPathFrom(argv, env), env);
  } catch (error) {
    return failed('nats-config', error instanceof ConfigError ? `config: ${error.message}` : (error as Error).message);
  }
  let text: string;
  try {
    text = render(config);
  } catch (error) {
    return failed('nats-config', (error as Error).message);
  }
  return { code: 0, stdout: text.endsWith('\n') ? text : `${text}\n` };
}
