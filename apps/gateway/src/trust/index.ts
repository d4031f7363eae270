export { deriveBrokerUsers, meshUsers, servicePermissions, discoverySubjects, hasIdentities, GATEWAY_USER } from './broker-users';
export type { BrokerUser, BrokerPermissions, GatewayCredential } from './broker-users';
export { newGatewayCredential, connServers } from './gateway-credential';
export { renderNatsConfig, GATEWAY_PASSWORD_ENV } from './nats-config';
export { trustProblems, isLoopback } from './check-trust';
export { GatewayTokenSigner } from './mesh-token-signer';
export { JwksController } from './jwks.controller';
export { embeddedBrokerAuth, gatewayTlsOptions } from './embedded-broker-auth';
export type { EmbeddedBrokerAuth } from './embedded-broker-auth';
