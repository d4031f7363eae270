/** A raw TCP client for the protocol: send bytes, read what comes back, every wait bounded. */
import { connect, Socket } from 'node:net';

export class RawClient {
  /** Everything received after the INFO line (latin1). */
  out = '';
  info = '';
  closed = false;
  private readonly socket: Socket;
  private waiters: (() => void)[] = [];

  private constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.out += d.toString('latin1');
      if (!this.info) {
        const end = this.out.indexOf('\r\n');
        if (end >= 0) {
          this.info = this.out.slice(0, end + 2);
          this.out = this.out.slice(end + 2);
        }
      }
      this.wake();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects and waits for INFO. */
  static async open(port: number): Promise<RawClient> {
    const client = new RawClient(port);
    await client.until(() => client.info !== '', 'INFO');
    return client;
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits until the condition holds (checked on every read), or fails after timeoutMs. */
  until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.out)} closed=${this.closed}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  /** Waits until the output contains text. */
  waitFor(text: string, timeoutMs = 3000): Promise<void> {
    return this.until(() => this.out.includes(text), JSON.stringify(text), timeoutMs);
  }

  waitClosed(timeoutMs = 3000): Promise<void> {
    return this.until(() => this.closed, 'close', timeoutMs);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * Sends input and returns what came back: once the output ends with PONG (the input ends with PING)
 * or the server closes the connection.
 */
export async function talk(port: number, input: string, timeoutMs = 3000): Promise<{ out: string; closed: boolean; info: string }> {
  const client = await RawClient.open(port);
  try {
    client.send(input);
    await client.until(() => client.closed || client.out.endsWith('PONG\r\n'), 'PONG or close', timeoutMs);
    return { out: client.out, closed: client.closed, info: client.info };
  } finally {
    client.close();
  }
}
