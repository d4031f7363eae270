/** Thrown by EmbeddedBroker.start() when the host:port is taken. */
export class BrokerAddressInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`embedded broker: ${host}:${port} is already in use`);
    this.name = 'BrokerAddressInUseError';
  }
}

/** Thrown by the EmbeddedBroker constructor for malformed users, permissions or TLS material. */
export class BrokerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerConfigError';
  }
}

/** The -ERR texts, exactly as nats-server 2.9 sends them. */
export const ProtocolErrors = {
  unknownOperation: 'Unknown Protocol Operation',
  maxPayload: 'Maximum Payload Violation',
  maxControlLine: 'maximum control line exceeded',
  invalidSubject: 'Invalid Subject',
  invalidPublishSubject: 'Invalid Publish Subject',
  authorization: 'Authorization Violation',
  authTimeout: 'Authentication Timeout',
  staleConnection: 'Stale Connection',
  slowConsumer: 'Slow Consumer',
  invalidProtocol: 'invalid client protocol',
  noRespondersNeedsHeaders: 'no responders requires headers support',
} as const;
