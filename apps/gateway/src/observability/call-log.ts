/** The fields of one call's log line (docs/operations.md#logs): never params, headers or tokens. */
export interface CallLogFields {
  requestId: string;
  service: string;
  func: string;
  status: number;
  code: string;
  ms: number;
}

/**
 * `log.calls` lines in JSON, in the shape of Nest's ConsoleLogger JSON mode
 * (`{"level","pid","timestamp","message","context"}`), written to stdout together once per
 * event-loop turn: under load that is one write per turn instead of one blocking write per call.
 * A line is written at the latest in the turn after its call was answered.
 */
export class CallLogWriter {
  private pending = '';
  private scheduled = false;
  private readonly flush = (): void => {
    const text = this.pending;
    this.pending = '';
    this.scheduled = false;
    this.out.write(text);
  };

  constructor(private readonly out: { write(text: string): unknown } = process.stdout) {}

  write(fields: CallLogFields): void {
    this.pending += `{"level":"log","pid":${process.pid},"timestamp":${Date.now()},"message":${JSON.stringify(fields)},"context":"Calls"}\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}
