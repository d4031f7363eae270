/** One server-sent event: its name (`message` when none is given) and its data lines, joined by `\n`. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * Reads server-sent events (the WHATWG `text/event-stream` format) from text that comes in pieces
 * of any size: `push` returns the events the text completed. Lines may end in `\n`, `\r\n` or `\r`;
 * comments and fields other than `event` and `data` are skipped.
 */
export class EventStreamParser {
  private pending = '';
  private event = '';
  private data: string[] = [];
  /** The last text ended in `\r`: a `\n` that starts the next one is the rest of that line end. */
  private afterCR = false;

  push(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let buffer = this.pending + text;
    if (this.afterCR && this.pending === '' && buffer.charCodeAt(0) === 10) buffer = buffer.slice(1);
    this.afterCR = false;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const char = buffer.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      this.line(buffer.slice(start, i), events);
      if (char === 13) {
        if (i === buffer.length - 1) this.afterCR = true;
        else if (buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.pending = buffer.slice(start);
    return events;
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' a comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
