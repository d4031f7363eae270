export { InFlightLimit } from './in-flight-limit';
export { RateLimits } from './rate-limits';
export { LimitsModule } from './limits.module';
