import { Transform, Type, plainToInstance } from 'class-transformer';
import { IsArray, IsBoolean, IsOptional, IsString, Matches, MinLength, ValidateBy, ValidateNested, ValidationArguments } from 'class-validator';
import { isValidName, NAME_PATTERN } from '@nest-mesh/wire';

/**
 * The config of trust on the broker side (docs/security.md, docs/config.md): embedded broker users
 * in nats-server's shape, TLS files, and the mesh's service identities.
 */

/** A public user nkey, as `nk -gen user -pubout` prints it. */
const USER_NKEY = /^U[A-Z2-7]{55}$/;
const NKEY_MESSAGE = { message: 'must be a user public key: U followed by 55 base32 characters' };

/** `<service>.<func>` or `<service>.*` with valid names. */
function isCallEntry(entry: unknown): boolean {
  if (typeof entry !== 'string') return false;
  const dot = entry.indexOf('.');
  const func = entry.slice(dot + 1);
  return dot > 0 && isValidName(entry.slice(0, dot)) && (func === '*' || isValidName(func));
}

/** A subject, or (subscribe) a subject and a queue group separated by one space. */
const PUBLISH_SUBJECT = /^[^\s]+$/;
const SUBSCRIBE_SUBJECT = /^[^\s]+( [^\s]+)?$/;

function subjectsValid(value: unknown, pattern: RegExp): boolean {
  const list = Array.isArray(value) ? value : [value];
  return list.every((subject) => typeof subject === 'string' && pattern.test(subject));
}

/** nats-server's subject permission: a subject, a list of them, or `{allow, deny}`. */
function IsSubjectPermission() {
  return ValidateBy({
    name: 'isSubjectPermission',
    validator: {
      validate(value: unknown, args?: ValidationArguments): boolean {
        const pattern = args?.property === 'subscribe' ? SUBSCRIBE_SUBJECT : PUBLISH_SUBJECT;
        if (typeof value === 'string' || Array.isArray(value)) return subjectsValid(value, pattern);
        if (value === null || typeof value !== 'object') return false;
        return Object.entries(value).every(([key, list]) => (key === 'allow' || key === 'deny') && subjectsValid(list, pattern));
      },
      defaultMessage: () => 'must be a subject, a list of subjects, or {allow, deny} of them',
    },
  });
}

/** `true`, `false` or `{max, expires}` (a count and milliseconds). */
function IsAllowResponses() {
  return ValidateBy({
    name: 'isAllowResponses',
    validator: {
      validate(value: unknown): boolean {
        if (typeof value === 'boolean') return true;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
        return Object.entries(value).every(([key, n]) => (key === 'max' || key === 'expires') && Number.isInteger(n) && (n as number) >= 0);
      },
      defaultMessage: () => 'must be true, false or {max, expires}',
    },
  });
}

export type { SubjectPermission } from '@nest-mesh/broker';
import type { SubjectPermission } from '@nest-mesh/broker';

export class BrokerPermissionsConfig {
  @IsOptional()
  @IsSubjectPermission()
  publish?: SubjectPermission;

  @IsOptional()
  @IsSubjectPermission()
  subscribe?: SubjectPermission;

  @IsOptional()
  @IsAllowResponses()
  allow_responses?: boolean | { max?: number; expires?: number };
}

/** One user of the embedded broker, as in nats-server's `authorization.users`: user/password or nkey. */
export class EmbeddedUserConfig {
  @IsOptional()
  @IsString()
  @MinLength(1)
  user?: string;

  @IsOptional()
  @IsString()
  password?: string;

  @IsOptional()
  @IsString()
  @Matches(USER_NKEY, NKEY_MESSAGE)
  nkey?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => BrokerPermissionsConfig)
  permissions?: BrokerPermissionsConfig;
}

/** TLS of the embedded broker: paths of PEM files, read at start-up. */
export class EmbeddedTlsConfig {
  @IsString()
  @MinLength(1)
  cert!: string;

  @IsString()
  @MinLength(1)
  key!: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  ca?: string;

  @IsBoolean()
  verifyClients = false;
}

/** A mesh service identity: how it logs in, and the functions of other services it may call. */
export class ServiceIdentityConfig {
  @IsOptional()
  @IsString()
  @MinLength(1)
  password?: string;

  @IsOptional()
  @IsString()
  @Matches(USER_NKEY, NKEY_MESSAGE)
  nkey?: string;

  @IsArray()
  @ValidateBy({ name: 'isCallEntry', validator: { validate: isCallEntry, defaultMessage: () => 'entries must be "<service>.<func>" or "<service>.*"' } }, { each: true })
  calls: string[] = [];
}

/** `services` as a Map of identities (so each is validated and named by its key in error paths). */
function toServiceMap(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return new Map(Object.entries(value).map(([name, identity]) => [name, plainToInstance(ServiceIdentityConfig, identity, { exposeDefaultValues: true })]));
}

export const ServiceMap = () => Transform(({ value }) => toServiceMap(value));

/** The keys of `services` are service names (docs/protocol.md). */
export function HasServiceNames() {
  return ValidateBy({
    name: 'hasServiceNames',
    validator: {
      validate: (value: unknown) => value instanceof Map && [...value.keys()].every((name) => isValidName(name)),
      defaultMessage: (args?: ValidationArguments) => {
        if (!(args?.value instanceof Map)) return 'must be a mapping of service names to identities';
        const bad = [...args.value.keys()].find((name) => !isValidName(name));
        return `"${String(bad).slice(0, 64)}" is not a service name (${NAME_PATTERN.source})`;
      },
    },
  });
}
