import type { BrokerTlsOptions, BrokerUser } from '@nest-mesh/broker';
import type { GatewayConfig } from '../config/gateway-config';
import { deriveBrokerUsers, GatewayCredential, hasIdentities } from './broker-users';
import { readEmbeddedTls } from './embedded-tls';
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

/** The embedded broker's auth for a config; throws an Error naming the `embedded.tls` key of a file that cannot be used. */
export function embeddedBrokerAuth(config: GatewayConfig): EmbeddedBrokerAuth {
  const { token, tls } = config.modules.functions.embedded;
  const gateway = hasIdentities(config) ? newGatewayCredential() : undefined;
  return {
    token,
    users: gateway && deriveBrokerUsers(config, gateway),
    tls: tls && readEmbeddedTls(tls),
    gateway,
  };
}

