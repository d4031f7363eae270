import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Validators of the `http` config keys whose shape class-validator has no decorator for.
 * See docs/config.md for the keys.
 */

/** An exact origin: scheme://host[:port], nothing after it (no path, no trailing slash). */
function isExactOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** `http.cors.origins`: "*" or a non-empty list of exact origins. */
export function IsCorsOrigins(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCorsOrigins',
      validator: {
        validate: (value: unknown) =>
          value === '*' || (Array.isArray(value) && value.length > 0 && value.every(isExactOrigin)),
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          const wrong = Array.isArray(value) ? value.find((origin) => !isExactOrigin(origin)) : value;
          const shown = JSON.stringify(wrong) ?? String(wrong);
          return Array.isArray(value) && value.length === 0
            ? 'origins must be "*" or a non-empty list of origins'
            : `origins must be "*" or a list of exact origins such as "http://localhost:3000" (scheme://host[:port], no path): ${shown} is not one`;
        },
      },
    },
    options,
  );
}

/** `http.trustProxy`: true / false, a hop count (integer >= 0) or a non-empty list of proxy addresses or subnets. */
export function IsTrustProxy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'boolean' ||
          (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
          (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string' && entry.trim() !== '')),
        defaultMessage: () => 'trustProxy must be true, false, a hop count (integer >= 0) or a list of proxy addresses',
      },
    },
    options,
  );
}
