export { EmbeddedBroker } from './broker';
export { BrokerThread } from './broker-thread';
export { BrokerAddressInUseError } from './errors';
export type { EmbeddedBrokerOptions, BrokerLogger } from './options';
