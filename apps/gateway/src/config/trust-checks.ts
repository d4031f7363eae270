import { isIP } from 'node:net';
import type { GatewayConfig } from './gateway-config';

/**
 * The trust settings that class-validator cannot check alone, one line per mistake naming its path
 * (docs/security.md): how each user and identity logs in, what may be combined, and that an embedded
 * broker reachable from other machines is never left open.
 */
export function trustProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const functions = config.modules.functions;
  const { embedded } = functions;
  (embedded.users ?? []).forEach((user, i) => {
    const at = `modules.functions.embedded.users.${i}`;
    if (user.nkey !== undefined && (user.user !== undefined || user.password !== undefined)) {
      problems.push(`${at}: give either nkey or user and password, not both`);
    } else if (user.nkey === undefined && (user.user === undefined || user.password === undefined)) {
      problems.push(`${at}: needs user and password, or nkey`);
    }
  });
  for (const [name, identity] of functions.services ?? []) {
    if ((identity.password === undefined) === (identity.nkey === undefined)) {
      problems.push(`modules.functions.services.${name}: needs exactly one of password or nkey`);
    }
  }
  const identities = (embedded.users?.length ?? 0) > 0 || (functions.services?.size ?? 0) > 0;
  if (embedded.token !== undefined && identities && functions.conn === undefined) {
    problems.push('modules.functions.embedded.token: cannot be combined with users or services (as in nats-server); use users');
  }
  if (functions.conn === undefined && embedded.tls?.verifyClients && embedded.tls.ca === undefined) {
    problems.push('modules.functions.embedded.tls.verifyClients: needs modules.functions.embedded.tls.ca, the CA that client certificates must be signed by');
  }
  if (functions.enabled && functions.conn === undefined && embedded.token === undefined && !identities && !isLoopback(embedded.host)) {
    problems.push(
      `modules.functions.embedded.host: ${embedded.host} is not a loopback address and the broker has no token, users or services: anyone who reaches it could call every function (see docs/security.md)`,
    );
  }
  return problems;
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}
