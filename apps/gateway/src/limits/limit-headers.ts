/** HTTP header names of rate limits and overload (docs/operations.md). */
export const RETRY_AFTER_HEADER = 'Retry-After';
export const RATE_LIMIT_LIMIT_HEADER = 'X-RateLimit-Limit';
export const RATE_LIMIT_REMAINING_HEADER = 'X-RateLimit-Remaining';
