import { EmbeddedBroker } from './broker';
import { BrokerConfigError } from './errors';

describe('embedded broker TLS options', () => {
  it('refuses unreadable certificate material with a BrokerConfigError', () => {
    expect(() => new EmbeddedBroker({ tls: { cert: 'not a pem', key: 'not a pem' } })).toThrow(BrokerConfigError);
    expect(() => new EmbeddedBroker({ tls: { cert: 'not a pem', key: 'not a pem' } })).toThrow(/^embedded broker: tls: /);
  });

  it('refuses verifyClients without a CA and a handshake timeout that is not positive', () => {
    expect(() => new EmbeddedBroker({ tls: { cert: '', key: '', verifyClients: true } })).toThrow('embedded broker: tls.verifyClients needs tls.ca');
    expect(() => new EmbeddedBroker({ tls: { cert: '', key: '', handshakeTimeoutMs: 0 } })).toThrow(
      'embedded broker: tls.handshakeTimeoutMs must be a positive number',
    );
  });
});
