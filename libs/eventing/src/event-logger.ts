/** Where the eventing parts write their few lines. */
export interface EventLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const SILENT: EventLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
