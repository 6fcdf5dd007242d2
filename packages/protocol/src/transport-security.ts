// How Weir's gRPC connections are secured (Flink's security.ssl.internal.* and
// security.ssl.rest.*): mutual TLS with the cluster CA between Weir's own
// processes, TLS with a server certificate towards clients, or plaintext when
// asked for. Certificates are read from files and read again when they change,
// so a rotated Kubernetes Secret is picked up without a restart.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ValidationError } from '@weir/common';

/** PEM files of one process: the CA it trusts, its certificate (chain) and private key. */
export interface TlsFiles {
  /** The CA certificate(s) peers' certificates must be issued by (the cluster CA). */
  caFile: string;
  /** This process's certificate, PEM (may hold the chain). */
  certFile: string;
  /** This process's private key, PEM. */
  keyFile: string;
}

/**
 * How a coordinator or worker talks to the others: mutual TLS with
 * certificates from the cluster CA, or (only when asked for) plaintext.
 */
export type InternalTransport =
  | {
      kind: 'mtls';
      files: TlsFiles;
      /** The certificate and key the coordinator's port presents to clients (default: `files`). */
      serverFiles?: Pick<TlsFiles, 'certFile' | 'keyFile'>;
      /** How often changed files are read again (default 60 s). */
      reloadIntervalMs?: number;
    }
  | { kind: 'plaintext' };

/** How a client reaches the coordinator's client API: TLS trusting `caFile`, or plaintext. */
export interface ClientTransport {
  /** PEM file of the CA that issued the coordinator's certificate; unset with `plaintext`: the system's roots are not used, so it is required for TLS. */
  caFile?: string;
  /** The name the coordinator's certificate must carry, when it differs from the host dialled. */
  serverName?: string;
  /** Talk plaintext (a coordinator started with plaintext). */
  plaintext?: boolean;
  /** A client certificate and key to present (optional: the cluster's own tools and members). */
  certFile?: string;
  keyFile?: string;
}

/** The default interval at which certificate files are read again. */
export const DEFAULT_CERT_RELOAD_INTERVAL_MS = 60_000;

function readPem(path: string, what: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ValidationError(`cannot read the ${what} ${path} (${setting}): ${(error as Error).message}; check the path and that the file (a mounted Secret) is readable`, { cause: error });
  }
}

/** Reads each file once, so a missing or broken one fails at start-up with its name rather than at the first connection. */
export function checkTlsFiles(files: TlsFiles): void {
  const ca = readPem(files.caFile, 'CA certificate', 'security.internalCa');
  const cert = readPem(files.certFile, 'certificate', 'security.internalCert');
  readPem(files.keyFile, 'private key', 'security.internalKey');
  try {
    new X509Certificate(ca);
    new X509Certificate(cert);
  } catch (error) {
    throw new ValidationError(`${files.caFile} or ${files.certFile} is not a PEM certificate: ${(error as Error).message}`, { cause: error });
  }
}

function watcher(files: Partial<TlsFiles>, intervalMs: number): grpc.experimental.CertificateProvider {
  return new grpc.experimental.FileWatcherCertificateProvider({
    ...(files.caFile ? { caCertificateFile: files.caFile } : {}),
    ...(files.certFile ? { certificateFile: files.certFile, privateKeyFile: files.keyFile } : {}),
    refreshIntervalMs: intervalMs,
  });
}

/**
 * Credentials of a server of Weir's internal services. `requireClientCertificate`:
 * only peers with a certificate from the cluster CA may connect (a worker's
 * service); without it a client certificate is asked for but not required
 * (the coordinator's port, which clients reach with tokens), and the services
 * check it per call.
 */
export function serverCredentials(transport: InternalTransport, requireClientCertificate: boolean): grpc.ServerCredentials {
  if (transport.kind === 'plaintext') return grpc.ServerCredentials.createInsecure();
  const interval = transport.reloadIntervalMs ?? DEFAULT_CERT_RELOAD_INTERVAL_MS;
  const identity = watcher({ ...transport.files, ...transport.serverFiles, caFile: undefined }, interval);
  const ca = watcher({ caFile: transport.files.caFile }, interval);
  return grpc.experimental.createCertificateProviderServerCredentials(identity, ca, requireClientCertificate);
}

/**
 * Credentials of a connection between Weir's processes: the own certificate
 * is presented, and the peer's must be issued by the cluster CA. Host names
 * are not checked (as with Flink's internal SSL): workers come and go at
 * addresses no certificate can name; holding a certificate of the cluster CA
 * is what makes a peer a member.
 */
export function internalChannelCredentials(transport: InternalTransport): grpc.ChannelCredentials {
  if (transport.kind === 'plaintext') return grpc.credentials.createInsecure();
  const interval = transport.reloadIntervalMs ?? DEFAULT_CERT_RELOAD_INTERVAL_MS;
  return grpc.experimental.createCertificateProviderChannelCredentials(watcher({ caFile: transport.files.caFile }, interval), watcher({ ...transport.files, caFile: undefined }, interval), {
    checkServerIdentity: () => undefined,
  });
}

/**
 * The name sent as TLS SNI on internal connections: a name, since SNI may not
 * be an IP address, and never checked (see `internalChannelCredentials`).
 */
export const INTERNAL_SERVER_NAME = 'weir-cluster-member';

/** Channel options of internal connections. */
export const INTERNAL_CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc.ssl_target_name_override': INTERNAL_SERVER_NAME };

/** The host of `host:port` (`[v6]:port` too). */
function hostOf(address: string): string {
  const match = /^\[([^\]]+)\](?::\d+)?$/.exec(address) ?? /^([^:]+)(?::\d+)?$/.exec(address);
  return match?.[1] ?? address;
}

/**
 * Credentials and channel options of a client of the coordinator's client
 * API at `address`. The coordinator's certificate must be issued by
 * `caFile` and name the host dialled (or `serverName`); for an IP address
 * SNI carries a placeholder (SNI may not be an address) and the certificate
 * is checked against the address itself.
 */
export function clientChannel(transport: ClientTransport, address: string): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  if (transport.plaintext) return { credentials: grpc.credentials.createInsecure(), options: {} };
  if (!transport.caFile) {
    throw new ValidationError('no CA file to verify the coordinator with: pass --ca-file (or WEIR_CA_FILE) naming the PEM file of the CA that issued its certificate (weir local prints it), or --insecure-plaintext for a plaintext coordinator');
  }
  const ca = readPem(transport.caFile, 'CA certificate', '--ca-file');
  const key = transport.keyFile ? readPem(transport.keyFile, 'client key', '--key-file') : null;
  const cert = transport.certFile ? readPem(transport.certFile, 'client certificate', '--cert-file') : null;
  if (transport.serverName) {
    return { credentials: grpc.credentials.createSsl(ca, key, cert), options: { 'grpc.ssl_target_name_override': transport.serverName, 'grpc.default_authority': transport.serverName } };
  }
  const host = hostOf(address);
  if (isIP(host) === 0) return { credentials: grpc.credentials.createSsl(ca, key, cert), options: {} };
  return {
    credentials: grpc.credentials.createSsl(ca, key, cert, { checkServerIdentity: (_placeholder, certificate) => checkServerIdentity(host, certificate) }),
    options: { 'grpc.ssl_target_name_override': 'weir-coordinator' },
  };
}

let processInternalTransport: InternalTransport = { kind: 'plaintext' };
let processInternalCredentials: grpc.ChannelCredentials | undefined;

/**
 * Sets how this process (a coordinator or a worker) connects to the others.
 * Called once at start-up from the process's options; every internal client
 * (`taskExecutorClient`, a worker's `jobManagerClient`) then uses it.
 */
export function useInternalTransport(transport: InternalTransport): void {
  if (transport.kind === 'mtls') checkTlsFiles(transport.files);
  processInternalTransport = transport;
  processInternalCredentials = internalChannelCredentials(transport);
}

/** How this process connects to the others (plaintext until `useInternalTransport`). */
export function internalTransport(): InternalTransport {
  return processInternalTransport;
}

/** The channel credentials of this process's internal connections. */
export function internalCredentials(): grpc.ChannelCredentials {
  processInternalCredentials ??= internalChannelCredentials(processInternalTransport);
  return processInternalCredentials;
}
