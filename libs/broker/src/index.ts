export { EmbeddedBroker } from './broker';
export { BrokerThread } from './broker-thread';
export { BrokerAddressInUseError, BrokerConfigError } from './errors';
export { natsServerAuthorization } from './nats-config';
export type { NatsAuthorizationOptions } from './nats-config';
export type { EmbeddedBrokerOptions, BrokerLogger } from './options';
export type { BrokerUser } from './auth';
export type { BrokerPermissions, SubjectPermission } from './permissions';
export type { BrokerTlsOptions } from './tls';
