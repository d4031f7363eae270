export { EmbeddedBroker } from './broker';
export { BrokerAddressInUseError } from './errors';
export type { EmbeddedBrokerOptions, BrokerLogger } from './options';
