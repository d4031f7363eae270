export { GatewayTokenSigner } from './mesh-token-signer';
export { JwksController } from './jwks.controller';
export { embeddedBrokerAuth } from './embedded-broker-auth';
export { checkOwnBrokerTls, gatewayTlsOptions } from './embedded-tls';
