// The job's Kafka security settings as kafkajs `ssl` and `sasl` options, with the secrets read on this worker now
// (from its environment or files), and the errors of a secured connection explained.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { KafkaSecretRef, KafkaSecurity } from '../kafka-security.ts';

/** The kafkajs options of a security setting: `ssl` for SSL/SASL_SSL, `sasl` for SASL_*. */
export interface KafkajsSecurityOptions {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
}

function describeRef(ref: KafkaSecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

function readRef(ref: KafkaSecretRef, what: string): string {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new Error(`the Kafka ${what} comes from environment variable ${ref.env}, which is not set on this worker: set it in the worker's environment`);
    return value;
  }
  return readFileText(ref.file, `the Kafka ${what}`).replace(/\r?\n$/, '');
}

function readFileText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${what} from ${file} on this worker: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

/** Reads the secrets and files `security` refers to; errors name the setting and where it was looked for, never a secret. */
export function kafkajsSecurityOptions(security: KafkaSecurity | undefined): KafkajsSecurityOptions {
  if (!security || security.protocol === 'PLAINTEXT') return {};
  const options: KafkajsSecurityOptions = {};
  if (security.protocol === 'SSL' || security.protocol === 'SASL_SSL') {
    const tls = security.ssl ?? {};
    const ssl: ConnectionOptions = {};
    if (tls.caFile) ssl.ca = [readFileText(tls.caFile, 'the Kafka CA certificates (ssl caFile)')];
    if (tls.certFile) ssl.cert = readFileText(tls.certFile, 'the Kafka client certificate (ssl certFile)');
    if (tls.keyFile) ssl.key = readFileText(tls.keyFile, 'the Kafka client key (ssl keyFile)');
    if (tls.keyPassword) ssl.passphrase = readRef(tls.keyPassword, 'client key pass phrase (ssl keyPassword)');
    if (tls.verifyServerName === false) ssl.checkServerIdentity = () => undefined;
    options.ssl = ssl;
  }
  if (security.sasl) {
    const { mechanism, username, password } = security.sasl;
    const user = typeof username === 'string' ? username : readRef(username, 'SASL username');
    const secret = readRef(password, 'SASL password');
    const lower = mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512';
    options.sasl = { mechanism: lower, username: user, password: secret } as SASLOptions;
  }
  return options;
}

/** Runs a client's connect; a failure `describeSecurityError` explains is rethrown with that explanation (the original as cause). */
export async function connectSecured(connect: () => Promise<void>, brokers: readonly string[], security: KafkaSecurity | undefined): Promise<void> {
  try {
    await connect();
  } catch (error) {
    const explained = describeSecurityError(error, brokers, security);
    if (explained !== undefined) throw new Error(explained, { cause: error });
    throw error;
  }
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function causes(error: unknown): Error[] {
  const list: Error[] = [];
  for (let e = error; e instanceof Error && list.length < 8; e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError) list.push(e);
  return list;
}

/**
 * Explains a failed connection of a secured client: an authentication
 * failure names the brokers, mechanism and where the credentials came from;
 * a refused broker certificate says which TLS setting to check. Other
 * errors: undefined (the caller's own message applies).
 */
export function describeSecurityError(error: unknown, brokers: readonly string[], security: KafkaSecurity | undefined): string | undefined {
  if (!security || security.protocol === 'PLAINTEXT') return undefined;
  const chain = causes(error);
  const auth = chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError');
  if (auth && security.sasl) {
    const { mechanism, username, password } = security.sasl;
    const user = typeof username === 'string' ? `user '${username}'` : `the user from ${describeRef(username)}`;
    return `Kafka authentication failed at broker ${brokers.join(',')} with SASL mechanism ${mechanism} for ${user} (${auth.message}): check the user name and the password from ${describeRef(password)}, and that the broker enables ${mechanism}`;
  }
  const tls = chain.find((e) => TLS_CODES.has(String((e as NodeJS.ErrnoException).code)) || /certificate|self.signed/i.test(e.message));
  if (tls) {
    const ca = security.ssl?.caFile ? `the CA in ${security.ssl.caFile}` : "Node's built-in CAs (no ssl caFile set)";
    return `the TLS certificate of Kafka broker ${brokers.join(',')} is refused (${tls.message}): it must be signed by ${ca}${security.ssl?.verifyServerName === false ? '' : ' and name the host connected to'}; set ssl caFile to the CA that signed the brokers' certificates`;
  }
  return undefined;
}
