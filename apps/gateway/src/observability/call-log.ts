/** The fields of one call's log line (docs/operations.md#logs): never params, headers or tokens. */
export interface CallLogFields {
  /** A valid X-Request-Id (`[A-Za-z0-9._-]`) or a UUID. */
  requestId: string;
  /** A valid name (`NAME_PATTERN`) or `-`. */
  service: string;
  /** A valid name (`NAME_PATTERN`) or `-`. */
  func: string;
  status: number;
  code: string;
  ms: number;
}

/** Pending text beyond which the lines are written at once. */
const FLUSH_BYTES = 32 * 1024;
/** The longest a line waits. */
const FLUSH_MS = 20;

/**
 * `log.calls` lines in JSON, in the shape of Nest's ConsoleLogger JSON mode
 * (`{"level","pid","timestamp","message","context"}`), written to stdout in batches: when 32 KiB
 * are pending, at the latest 20 ms after a line, and on `flush()` (the gateway's shutdown). Under
 * load that is one write for hundreds of calls instead of one blocking write per call.
 */
export class CallLogWriter {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly prefix = `{"level":"log","pid":${process.pid},"timestamp":`;

  constructor(private readonly out: { write(text: string): unknown } = process.stdout) {}

  write(fields: CallLogFields): void {
    // requestId, service and func are of JSON-safe alphabets (CallLogFields); code may come from a service.
    this.pending += `${this.prefix}${Date.now()},"message":{"requestId":"${fields.requestId}","service":"${fields.service}","func":"${fields.func}","status":${fields.status},"code":${JSON.stringify(fields.code)},"ms":${fields.ms}},"context":"Calls"}\n`;
    if (this.pending.length >= FLUSH_BYTES) this.flush();
    else if (this.timer === undefined) this.timer = setTimeout(this.flush, FLUSH_MS).unref();
  }

  /** Writes the pending lines now. */
  readonly flush = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.out.write(text);
  };
}
