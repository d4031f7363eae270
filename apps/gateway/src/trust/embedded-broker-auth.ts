import { readFileSync } from 'node:fs';
import type { BrokerTlsOptions, BrokerUser } from '@nest-mesh/broker';
import type { TlsOptions } from 'nats';
import type { GatewayConfig } from '../config/gateway-config';
import { deriveBrokerUsers, GatewayCredential, hasIdentities } from './broker-users';
import { newGatewayCredential } from './gateway-credential';

/** What the embedded broker is started with, and how the gateway logs in to it. */
export interface EmbeddedBrokerAuth {
  token?: string;
  /** Every user, the gateway's first; undefined when the config has no users and no services. */
  users?: BrokerUser[];
  /** TLS of the embedded broker, as PEM contents (the files of `embedded.tls`, read at start-up). */
  tls?: BrokerTlsOptions;
  /** The gateway's own login: made at each start when there are users or services. */
  gateway?: GatewayCredential;
}

/** The embedded broker's auth for a config; throws an Error naming `embedded.tls.<file>` that cannot be read. */
export function embeddedBrokerAuth(config: GatewayConfig): EmbeddedBrokerAuth {
  const { token, tls } = config.modules.functions.embedded;
  const gateway = hasIdentities(config) ? newGatewayCredential() : undefined;
  return {
    token,
    users: gateway && deriveBrokerUsers(config, gateway),
    tls: tls && {
      cert: readPem(tls.cert, 'cert'),
      key: readPem(tls.key, 'key'),
      ca: tls.ca === undefined ? undefined : readPem(tls.ca, 'ca'),
      verifyClients: tls.verifyClients,
    },
    gateway,
  };
}


/**
 * How the gateway itself connects to its embedded broker over TLS: trusting `ca` (or the broker's
 * own certificate when it is self-signed), and presenting that certificate when clients must.
 */
export function gatewayTlsOptions(tls: BrokerTlsOptions): TlsOptions {
  return { ca: tls.ca ?? tls.cert, ...(tls.verifyClients && { cert: tls.cert, key: tls.key }) };
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`modules.functions.embedded.tls.${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
