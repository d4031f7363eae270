/**
 * A throw-away CA with a server certificate for 127.0.0.1/localhost and a client certificate, made
 * with openssl in a temp dir; plus a second, unrelated CA's client certificate, and the server
 * certificates of the other set-ups an operator may give (a chain file through an intermediate CA,
 * a self-signed one, one for another host name, an expired one, one for servers and clients).
 * remove() deletes them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  readonly dir: string;
  /** PEM contents. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** Paths, for clients that read files (nats.js caFile, certFile, keyFile). */
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly strangerCertFile: string;
  readonly strangerKeyFile: string;
  /** Server certificates as files (cert, key), as `embedded.tls` reads them. */
  readonly server: CertFiles;
  /** The leaf signed by an intermediate CA that `ca` signed; `cert` holds the leaf, then the intermediate. */
  readonly chain: CertFiles;
  readonly selfSigned: CertFiles;
  /** Signed by `ca` for DNS:broker.example.com only (not for 127.0.0.1 or localhost). */
  readonly otherHost: CertFiles;
  /** Signed by `ca`, its validity ended yesterday. */
  readonly expired: CertFiles;
  /** Signed by `ca`, for server and client authentication (extendedKeyUsage serverAuth, clientAuth). */
  readonly serverAndClient: CertFiles;
  remove(): void;
}

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'nest-mesh-tls-'));
  const p = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  const read = (name: string) => readFileSync(p(name), 'utf8');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=nest-mesh test CA');
    ssl('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=other CA');
    writeFileSync(p('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
    const signed = (name: string, cn: string, ca: string, ext: string) => {
      ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext);
    };
    signed('server', 'localhost', 'ca', 'server.ext');
    signed('client', 'orders', 'ca', 'client.ext');
    signed('stranger', 'stranger', 'other-ca', 'client.ext');
    writeFileSync(p('intermediate.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    signed('intermediate', 'nest-mesh test intermediate CA', 'ca', 'intermediate.ext');
    signed('leaf', 'localhost', 'intermediate', 'server.ext');
    writeFileSync(p('chain.pem'), read('leaf.pem') + read('intermediate.pem'));
    ssl('req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    writeFileSync(p('other-host.ext'), 'subjectAltName=DNS:broker.example.com\nextendedKeyUsage=serverAuth\n');
    signed('other-host', 'broker.example.com', 'ca', 'other-host.ext');
    writeFileSync(p('both.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
    signed('both', 'localhost', 'ca', 'both.ext');
    ssl('req', ...ec, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=localhost');
    ssl('x509', '-req', '-in', 'expired.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'expired.pem', '-days', '-1', '-extfile', 'server.ext');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const files = (name: string, cert = `${name}.pem`): CertFiles => ({ cert: p(cert), key: p(`${name}.key`) });
  return {
    dir,
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    strangerCert: read('stranger.pem'),
    strangerKey: read('stranger.key'),
    caFile: p('ca.pem'),
    clientCertFile: p('client.pem'),
    clientKeyFile: p('client.key'),
    strangerCertFile: p('stranger.pem'),
    strangerKeyFile: p('stranger.key'),
    server: files('server'),
    chain: files('leaf', 'chain.pem'),
    selfSigned: files('self'),
    otherHost: files('other-host'),
    expired: files('expired'),
    serverAndClient: files('both'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
