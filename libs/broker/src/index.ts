export { EmbeddedBroker } from './broker';
export { BrokerThread } from './broker-thread';
export { BrokerAddressInUseError, BrokerConfigError } from './errors';
export { natsServerAuthorization } from './authorization-block';
export type { NatsAuthorizationOptions } from './authorization-block';
export type { EmbeddedBrokerOptions, BrokerLogger } from './options';
export type { BrokerUser } from './auth';
export type { BrokerPermissions, SubjectPermission } from './permissions';
export type { BrokerTlsOptions } from './tls';
