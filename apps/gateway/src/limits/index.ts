export { InFlightGuard } from './in-flight.guard';
export { RateLimits } from './rate-limits';
