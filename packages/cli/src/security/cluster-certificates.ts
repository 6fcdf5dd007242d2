// Throwaway certificates for a cluster that brings its own (`weir local`, the
// tests, the benchmarks): a cluster CA and certificates it issues, written as
// PEM files. Node's crypto makes the RSA keys (native, fast) but cannot issue
// X.509 certificates; node-forge (no dependencies, no global polyfills) builds
// and signs them.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import type { TlsFiles } from '@weir/protocol';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A CA that can issue certificates. */
export interface CertificateAuthority {
  /** The CA certificate, PEM. */
  readonly certificatePem: string;
  readonly certificate: forge.pki.Certificate;
  readonly privateKey: forge.pki.rsa.PrivateKey;
}

/** A certificate and its key, PEM. */
export interface IssuedCertificate {
  certificatePem: string;
  keyPem: string;
}

function newKeys(): { keyPem: string; privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    keyPem,
    privateKey: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
  };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, days: number): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  // A positive serial number of 16 random bytes.
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`;
  // A minute back, so clocks a little apart still agree it is valid.
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + days * DAY_MS);
  return certificate;
}

/** Makes a new self-signed CA named `name`, valid for `days` (default 30). */
export function createCertificateAuthority(name = 'Weir cluster CA', days = 30): CertificateAuthority {
  const keys = newKeys();
  const certificate = newCertificate(keys.publicKey, days);
  const subject = [{ name: 'commonName', value: name }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(keys.privateKey, forge.md.sha256.create());
  return { certificate, certificatePem: forge.pki.certificateToPem(certificate), privateKey: keys.privateKey };
}

/**
 * Issues a certificate for client and server use (TLS both ways) naming
 * `names` (host names and IP addresses) as subject alternative names.
 */
export function issueCertificate(ca: CertificateAuthority, commonName: string, names: readonly string[] = ['localhost', '127.0.0.1'], days = 30): IssuedCertificate {
  const keys = newKeys();
  const certificate = newCertificate(keys.publicKey, days);
  certificate.setSubject([{ name: 'commonName', value: commonName }]);
  certificate.setIssuer(ca.certificate.subject.attributes);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.certificate.generateSubjectKeyIdentifier().getBytes() },
  ]);
  certificate.sign(ca.privateKey, forge.md.sha256.create());
  return { certificatePem: forge.pki.certificateToPem(certificate), keyPem: keys.keyPem };
}

/** Writes `issued` as `<dir>/<name>.crt` and `<dir>/<name>.key` (owner-only) and returns their paths. */
export async function writeCertificate(dir: string, name: string, issued: IssuedCertificate): Promise<{ certFile: string; keyFile: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await writeFile(keyFile, issued.keyPem, { mode: 0o600 });
  await writeFile(certFile, issued.certificatePem);
  return { certFile, keyFile };
}

/**
 * A new cluster CA and one member certificate for loopback (`localhost`,
 * `127.0.0.1`) in `dir`: what `weir local` and the tests run with.
 */
export async function generateClusterCertificates(dir: string): Promise<TlsFiles> {
  const ca = createCertificateAuthority('Weir local CA');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, ca.certificatePem);
  const member = await writeCertificate(dir, 'member', issueCertificate(ca, 'weir-local-member'));
  return { caFile, ...member };
}
