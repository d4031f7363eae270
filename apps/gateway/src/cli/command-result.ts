/** What a one-shot command of the `nest-mesh` CLI prints and its exit code. */
export interface CommandResult {
  code: 0 | 1;
  stdout?: string;
  stderr?: string;
}

/** A failed command: one line on stderr, `nest-mesh <command>: <message>`, exit code 1. */
export function failed(command: string, message: string): CommandResult {
  return { code: 1, stderr: `nest-mesh ${command}: ${message.split('\n')[0]}\n` };
}
