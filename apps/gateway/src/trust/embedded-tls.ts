import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectOptions } from 'node:tls';
import type { BrokerTlsOptions } from '@nest-mesh/broker';
import { connect, type TlsOptions } from 'nats';
import { type MeshOptions } from 'nest-mesh';
import { connectionOptions } from 'nest-mesh/internal';
import type { EmbeddedTlsConfig } from '../config/trust-config';

/**
 * TLS of the embedded broker (docs/security.md#tls-of-the-gateways-embedded-broker): the files of
 * `embedded.tls`, read and checked at start-up, and how the gateway connects to its own broker: it
 * trusts exactly the certificate it loaded, whatever its chain (signed by a CA, through
 * intermediates, self-signed) and whatever host name it names. A set-up that cannot work stops the
 * start with one line naming the key.
 */

const AT = 'modules.functions.embedded.tls';
/** extendedKeyUsage OIDs: TLS client authentication, and "any". */
const CLIENT_AUTH = ['1.3.6.1.5.5.7.3.2', '2.5.29.37.0'];
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The broker's TLS options from the files of `embedded.tls`; throws an Error naming the key of a file that cannot work. */
export function readEmbeddedTls(tls: EmbeddedTlsConfig, now = Date.now()): BrokerTlsOptions {
  const cert = readPem(tls.cert, 'cert');
  const key = readPem(tls.key, 'key');
  const ca = tls.ca === undefined ? undefined : readPem(tls.ca, 'ca');
  const chain = certificatesIn(cert, tls.cert, 'cert');
  const [leaf] = chain;
  if (!leaf.checkPrivateKey(privateKeyIn(key, tls.key))) {
    throw new Error(`${AT}.key: ${tls.key} is not the private key of the certificate in ${tls.cert}`);
  }
  chain.forEach((certificate, i) => checkValidity(certificate, i === 0 ? `the certificate in ${tls.cert}` : `certificate ${i + 1} in ${tls.cert}`, now));
  const authorities = ca === undefined ? [] : certificatesIn(ca, tls.ca!, 'ca');
  if (tls.verifyClients) {
    // The gateway logs in to its own broker with this certificate (gatewayTlsOptions).
    const but = `${AT}.cert: with verifyClients the gateway logs in to its broker with this certificate, but ${tls.cert}`;
    if (leaf.keyUsage !== undefined && !leaf.keyUsage.some((usage) => CLIENT_AUTH.includes(usage))) {
      throw new Error(`${but} is for servers only (extendedKeyUsage without clientAuth)`);
    }
    if (!chainsTo(chain, authorities)) throw new Error(`${but} is not signed by the CA in ${tls.ca}`);
  }
  return { cert, key, ca, verifyClients: tls.verifyClients };
}

/**
 * How the gateway connects to its own embedded broker over TLS: it trusts the broker's own
 * certificate, pinned (the leaf it loaded is the only trust anchor, its SHA-256 fingerprint must
 * match; the host name is not checked, since the gateway dials a loopback or local address), and
 * presents that certificate when clients must.
 */
export function gatewayTlsOptions(tls: BrokerTlsOptions): TlsOptions {
  const leaf = new X509Certificate(tls.cert);
  const pinned: TlsConnectOptions = {
    ca: leaf.toString(),
    // The leaf is a trust anchor though a CA signed it (Node 20.18, 22.9 and later).
    allowPartialTrustChain: true,
    checkServerIdentity: (_host, peer) =>
      peer.fingerprint256 === leaf.fingerprint256 ? undefined : new Error(`the broker presented another certificate than ${AT}.cert (${peer.fingerprint256})`),
  };
  return { ...(pinned as TlsOptions), ...(tls.verifyClients && { cert: tls.cert, key: tls.key }) };
}

/**
 * Connects once to the embedded broker as the gateway will: a TLS set-up the checks above let
 * through but that still cannot work stops the start here, instead of answering every call 503.
 */
export async function checkOwnBrokerTls(connection: MeshOptions): Promise<void> {
  try {
    const nc = await connect({ ...connectionOptions(connection, 'nest-mesh gateway (tls check)'), reconnect: false, timeout: 5000 });
    await nc.close();
  } catch (error) {
    const presented = connection.tls?.cert !== undefined ? ' (with verifyClients the broker checks tls.cert as the gateway\'s client certificate)' : '';
    throw new Error(`${AT}: the gateway cannot connect to its own broker over TLS: ${reasonOf(error)}${presented}${nodeHint()}`);
  }
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${AT}.${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function certificatesIn(pem: string, path: string, key: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${AT}.${key}: ${path} holds no PEM certificate`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${AT}.${key}: certificate ${i + 1} in ${path} cannot be read (${reasonOf(error)})`);
    }
  });
}

function privateKeyIn(pem: string, path: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    throw new Error(`${AT}.key: the private key in ${path} is encrypted; give it unencrypted`);
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new Error(`${AT}.key: ${path} holds no PEM private key`);
  }
}

/** Clients refuse a certificate outside its validity, the gateway too: say so at start-up. */
function checkValidity(certificate: X509Certificate, what: string, now: number): void {
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  if (now > to) throw new Error(`${AT}.cert: ${what} expired on ${new Date(to).toISOString()}`);
  if (now < from) throw new Error(`${AT}.cert: ${what} is not valid before ${new Date(from).toISOString()}`);
}

/** Whether `chain[0]` is signed by one of `authorities`, directly or through the intermediates that follow it. */
function chainsTo(chain: X509Certificate[], authorities: X509Certificate[]): boolean {
  const signs = (issuer: X509Certificate, subject: X509Certificate) => subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  let current = chain[0];
  for (let depth = 0; depth < chain.length; depth++) {
    if (authorities.some((authority) => signs(authority, current))) return true;
    const next = chain.find((candidate) => candidate !== current && signs(candidate, current));
    if (next === undefined) return false;
    current = next;
  }
  return false;
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
}

/** Before Node 20.18 and 22.9, `allowPartialTrustChain` is ignored: only a self-signed certificate can be its own anchor. */
function nodeHint(): string {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const supported = major > 22 || (major === 22 && minor >= 9) || (major === 20 && minor >= 18);
  return supported ? '' : ` (Node ${process.versions.node} cannot trust a certificate that a CA signed by itself: use Node 20.18, 22.9 or later)`;
}
