import { LoggerService } from '@nestjs/common';

/** One line a Nest app logged. */
export interface LoggedLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  context: string;
  text: string;
}

/**
 * A Nest logger that keeps what an app logs (Nest's own static loggers, e.g. RpcExceptionsHandler,
 * write to it too once it is the app's logger), for suites that check what a service said.
 */
export class CaptureLogger implements LoggerService {
  readonly lines: LoggedLine[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }

  /** The lines of `level` logged from `from` on (an index into `lines`). */
  at(level: LoggedLine['level'], from = 0): LoggedLine[] {
    return this.lines.slice(from).filter((line) => line.level === level);
  }

  private keep(level: LoggedLine['level'], message: unknown, rest: unknown[]): void {
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : '';
    const text = message instanceof Error ? (message.stack ?? message.message) : typeof message === 'string' ? message : JSON.stringify(message);
    // An error's stack comes as the second argument of Logger.error(message, stack, context).
    const stack = level === 'error' && rest.length > 1 && typeof rest[0] === 'string' ? `\n${rest[0]}` : '';
    this.lines.push({ level, context, text: text + stack });
  }
}
