/** What the parser found; the client decides what to do with it. */
export interface ParserEvents {
  onConnect(json: string): void;
  /** hdrLen is -1 for PUB. For HPUB the payload holds headers then body. */
  onPub(subject: string, reply: string | undefined, hdrLen: number, payload: Buffer): void;
  onSub(args: string[]): void;
  onUnsub(args: string[]): void;
  onPing(): void;
  onPong(): void;
  /** A client-sent -ERR: nats-server closes the connection. */
  onClientErr(): void;
  onProtocolError(error: ParseError): void;
}

export type ParseError =
  | 'unknown-operation' // -ERR 'Unknown Protocol Operation', close
  | 'max-control-line' // -ERR 'maximum control line exceeded', close
  | 'max-payload' // -ERR 'Maximum Payload Violation', close
  | 'bad-arguments' // close without -ERR (like nats-server's processPub/processSub parse errors)
  | 'authorization'; // an operation other than CONNECT before auth: -ERR 'Authorization Violation', close
