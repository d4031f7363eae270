import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Validators of the token settings (`secret`, `auth`) whose shape class-validator has no decorator
 * for. See docs/config.md for the keys and docs/security.md#tokens for why.
 */

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
