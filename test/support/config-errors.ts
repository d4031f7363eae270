import { ConfigError, parseConfig } from '../../apps/gateway/src/config/load-config';

/** The message of the ConfigError that `text` (a config file's contents) stops the gateway with; throws when it is valid. */
export function configErrorOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}
