export { connServers } from './gateway-credential';
export { GatewayTokenSigner } from './mesh-token-signer';
export { JwksController } from './jwks.controller';
export { embeddedBrokerAuth, gatewayTlsOptions } from './embedded-broker-auth';
