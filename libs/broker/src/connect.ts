/** The CONNECT options of a client, checked the way nats-server's JSON decoding checks them. */
export interface ConnectOptions {
  verbose: boolean;
  pedantic: boolean;
  echo: boolean;
  headers: boolean;
  noResponders: boolean;
  user?: string;
  pass?: string;
  authToken?: string;
  nkey?: string;
  sig?: string;
  name?: string;
  protocol: number;
}

/** Before CONNECT (and for fields CONNECT leaves out) nats-server assumes verbose, pedantic and echo. */
export function defaultConnectOptions(): ConnectOptions {
  return { verbose: true, pedantic: true, echo: true, headers: false, noResponders: false, protocol: 0 };
}

const BOOLEANS = ['verbose', 'pedantic', 'echo', 'headers', 'no_responders', 'tls_required'];
const STRINGS = ['user', 'pass', 'auth_token', 'name', 'lang', 'version', 'jwt', 'nkey', 'sig'];

/**
 * Parses the CONNECT JSON onto the current options. Returns undefined when it is not a JSON object or
 * a field has the wrong type (nats-server then closes the connection without -ERR).
 */
export function parseConnect(json: string, current: ConnectOptions): ConnectOptions | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  for (const key of BOOLEANS) if (o[key] !== undefined && typeof o[key] !== 'boolean') return undefined;
  for (const key of STRINGS) if (o[key] !== undefined && typeof o[key] !== 'string') return undefined;
  if (o.protocol !== undefined && !Number.isInteger(o.protocol)) return undefined;
  return {
    verbose: (o.verbose as boolean | undefined) ?? current.verbose,
    pedantic: (o.pedantic as boolean | undefined) ?? current.pedantic,
    echo: (o.echo as boolean | undefined) ?? current.echo,
    headers: (o.headers as boolean | undefined) ?? current.headers,
    noResponders: (o.no_responders as boolean | undefined) ?? current.noResponders,
    user: o.user as string | undefined,
    pass: o.pass as string | undefined,
    authToken: o.auth_token as string | undefined,
    nkey: o.nkey as string | undefined,
    sig: o.sig as string | undefined,
    name: o.name as string | undefined,
    protocol: (o.protocol as number | undefined) ?? current.protocol,
  };
}
