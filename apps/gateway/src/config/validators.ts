import { isIP } from 'node:net';
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

/** proxy-addr's names of address ranges, which both adapters accept in a list of proxies. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An entry of a proxy list as express and fastify (proxy-addr) read it: an address, a subnet (CIDR or IPv4 netmask) or a range name. */
function isProxyEntry(entry: unknown): boolean {
  if (typeof entry !== 'string') return false;
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  return /^\d{1,3}$/.test(range) ? Number(range) <= (family === 4 ? 32 : 128) : family === 4 && isIP(range) === 4;
}

/**
 * `http.trustProxy`: false, a hop count (integer >= 0) or a non-empty list of proxy addresses or
 * subnets. `true` is refused: express and fastify would then take the leftmost X-Forwarded-For
 * entry, which the client writes itself (docs/operations.md#rate-limits).
 */
export function IsTrustProxy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: (value: unknown) =>
          value === false ||
          (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) ||
          (Array.isArray(value) && value.length > 0 && value.every(isProxyEntry)),
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          if (value === true) {
            return 'true takes the client address from the leftmost X-Forwarded-For entry, which the client writes itself: give the number of proxies in front of the gateway (1 behind one load balancer) or their addresses';
          }
          const wrong = Array.isArray(value) && value.length > 0 ? value.find((entry) => !isProxyEntry(entry)) : undefined;
          return wrong === undefined
            ? 'must be false, a hop count (integer >= 0) or a list of proxy addresses'
            : `${JSON.stringify(wrong) ?? String(wrong)} is not an IP address, a subnet or one of ${PROXY_RANGE_NAMES.join(', ')}`;
        },
      },
    },
    options,
  );
}


/** The shortest HS256 `secret`, in bytes of UTF-8: a key shorter than the hash's 256 bits is weak (RFC 7518 section 3.2). */
export const MIN_SECRET_BYTES = 32;

export const SECRET_TOO_SHORT = `must be at least ${MIN_SECRET_BYTES} bytes (an HS256 key shorter than 256 bits can be guessed offline from any one token)`;

/** `secret`: a string of at least MIN_SECRET_BYTES bytes. */
export function IsHs256Secret(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHs256Secret',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES,
        defaultMessage: (args) => (typeof args?.value === 'string' ? SECRET_TOO_SHORT : 'must be a string'),
      },
    },
    options,
  );
}

/** A non-empty string, or a non-empty list of them. */
export function isStringOrList(value: unknown): value is string | string[] {
  const isText = (item: unknown) => typeof item === 'string' && item.length > 0;
  return isText(value) || (Array.isArray(value) && value.length > 0 && value.every(isText));
}

/** `auth.audience` / `auth.issuer`: a non-empty string or a non-empty list of them. */
export function IsStringOrList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringOrList',
      validator: {
        validate: isStringOrList,
        defaultMessage: () => 'must be a non-empty string or a non-empty list of them',
      },
    },
    options,
  );
}
