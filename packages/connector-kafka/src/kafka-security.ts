// How Kafka clients authenticate and encrypt (Kafka's security.protocol, sasl.mechanism, ssl.*): the settings the
// builders take and the job graph carries. Secrets travel by reference only (an environment variable's name or a file
// path), read on the worker when the client connects.
import { isAbsolute, resolve } from 'node:path';
import { ValidationError } from '@weir/common/runtime';

/** Kafka's `security.protocol`: plain TCP or TLS, with or without SASL authentication. */
export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** Kafka's `sasl.mechanism` values the connector speaks. */
export type KafkaSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/**
 * A secret by reference: the name of an environment variable of the worker,
 * or a file on the worker (its content, without a trailing newline). Read
 * when the Kafka client connects, so the secret is never in the job graph.
 */
export type KafkaSecretRef = { readonly env: string } | { readonly file: string };

/** SASL authentication (Kafka's `sasl.mechanism` and the JAAS user name and password). */
export interface KafkaSaslSettings {
  /** `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`. */
  readonly mechanism: KafkaSaslMechanism;
  /** The user name: as it is (it is not secret), or by reference. */
  readonly username: string | KafkaSecretRef;
  /** The password, by reference only: `{ env: 'KAFKA_PASSWORD' }` or `{ file: '/run/secrets/kafka-password' }`. */
  readonly password: KafkaSecretRef;
}

/** TLS settings (Kafka's `ssl.*`, with PEM files: paths on the worker). */
export interface KafkaTlsSettings {
  /** PEM file of the CA certificates that sign the brokers' certificates (Kafka's truststore); default: Node's built-in CAs. */
  readonly caFile?: string;
  /** PEM file of the client certificate, for brokers that require one (`ssl.client.auth=required`); needs `keyFile`. */
  readonly certFile?: string;
  /** PEM file of the client certificate's private key. */
  readonly keyFile?: string;
  /** The private key's pass phrase, by reference, when the key file is encrypted. */
  readonly keyPassword?: KafkaSecretRef;
  /**
   * Whether the broker's certificate must name the host connected to
   * (Kafka's `ssl.endpoint.identification.algorithm=https`, the default
   * true). False still checks the certificate chain against the CA.
   */
  readonly verifyServerName?: boolean;
}

/**
 * The security settings of a Kafka source or sink, for `setSecurity`:
 *
 * ```ts
 * .setSecurity({
 *   protocol: 'SASL_SSL',
 *   sasl: { mechanism: 'SCRAM-SHA-512', username: 'weir', password: { env: 'KAFKA_PASSWORD' } },
 *   ssl: { caFile: '/etc/kafka/ca.pem' },
 * })
 * ```
 */
export interface KafkaSecurity {
  /** Kafka's `security.protocol`; `sasl` is required with `SASL_*` and not allowed otherwise. */
  readonly protocol: KafkaSecurityProtocol;
  readonly sasl?: KafkaSaslSettings;
  /** Only with `SSL` and `SASL_SSL`. */
  readonly ssl?: KafkaTlsSettings;
}

const PROTOCOLS: readonly KafkaSecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly KafkaSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TLS_KEYS = ['caFile', 'certFile', 'keyFile', 'keyPassword', 'verifyServerName'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkPath(value: unknown, what: string, who: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${who}: ${what} must be a file path, got ${JSON.stringify(value)}`);
  return isAbsolute(value) ? value : resolve(value);
}

/** Checks a secret reference; a secret given as a plain string is refused without repeating it. */
function checkSecretRef(value: unknown, what: string, who: string): KafkaSecretRef {
  const how = `{ env: 'VARIABLE_NAME' } or { file: '/path/to/file' }`;
  if (typeof value === 'string') throw new ValidationError(`${who}: ${what} must be given by reference, ${how}, so that it never appears in the job graph`);
  if (!isRecord(value) || Object.keys(value).length !== 1 || !('env' in value || 'file' in value)) throw new ValidationError(`${who}: ${what} must be ${how}`);
  if ('env' in value) {
    if (typeof value.env !== 'string' || !ENV_NAME.test(value.env)) throw new ValidationError(`${who}: ${what} { env } must name an environment variable (letters, digits, _), got ${JSON.stringify(value.env)}`);
    return { env: value.env };
  }
  return { file: checkPath(value.file, `${what} { file }`, who) };
}

function checkTls(value: unknown, who: string): KafkaTlsSettings {
  if (!isRecord(value)) throw new ValidationError(`${who}: ssl must be an object { caFile?, certFile?, keyFile?, keyPassword?, verifyServerName? }`);
  const unknown = Object.keys(value).filter((k) => !TLS_KEYS.includes(k));
  if (unknown.length > 0) throw new ValidationError(`${who}: ssl has no setting ${unknown.map((k) => `'${k}'`).join(', ')}: use ${TLS_KEYS.join(', ')}`);
  if ((value.certFile === undefined) !== (value.keyFile === undefined)) throw new ValidationError(`${who}: ssl certFile and keyFile go together (the client certificate and its private key)`);
  if (value.keyPassword !== undefined && value.keyFile === undefined) throw new ValidationError(`${who}: ssl keyPassword needs keyFile`);
  if (value.verifyServerName !== undefined && typeof value.verifyServerName !== 'boolean') throw new ValidationError(`${who}: ssl verifyServerName must be true or false`);
  return {
    ...(value.caFile !== undefined ? { caFile: checkPath(value.caFile, 'ssl caFile', who) } : {}),
    ...(value.certFile !== undefined ? { certFile: checkPath(value.certFile, 'ssl certFile', who) } : {}),
    ...(value.keyFile !== undefined ? { keyFile: checkPath(value.keyFile, 'ssl keyFile', who) } : {}),
    ...(value.keyPassword !== undefined ? { keyPassword: checkSecretRef(value.keyPassword, 'ssl keyPassword', who) } : {}),
    ...(value.verifyServerName !== undefined ? { verifyServerName: value.verifyServerName } : {}),
  };
}

function checkSasl(value: unknown, who: string): KafkaSaslSettings {
  if (!isRecord(value)) throw new ValidationError(`${who}: sasl must be { mechanism, username, password }`);
  const mechanism = value.mechanism;
  if (!MECHANISMS.includes(mechanism as KafkaSaslMechanism)) throw new ValidationError(`${who}: sasl mechanism must be one of ${MECHANISMS.join(', ')}, got ${JSON.stringify(mechanism)}`);
  const username = typeof value.username === 'string' ? value.username : value.username === undefined ? undefined : checkSecretRef(value.username, 'sasl username', who);
  if (username === undefined || username === '') throw new ValidationError(`${who}: sasl needs a username (a string, or { env } / { file })`);
  if (value.password === undefined) throw new ValidationError(`${who}: sasl needs a password: { env: 'KAFKA_PASSWORD' } or { file: '/path/to/password' }`);
  return { mechanism: mechanism as KafkaSaslMechanism, username, password: checkSecretRef(value.password, 'sasl password', who) };
}

/**
 * Checks security settings (from a builder, or again on the worker from the
 * job graph's JSON) and returns them normalized: relative file paths made
 * absolute. Throws a ValidationError naming `who` and the setting.
 */
export function checkKafkaSecurity(value: unknown, who: string): KafkaSecurity {
  if (!isRecord(value)) throw new ValidationError(`${who}: security must be an object { protocol, sasl?, ssl? }`);
  const protocol = value.protocol as KafkaSecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) throw new ValidationError(`${who}: security protocol must be one of ${PROTOCOLS.join(', ')} (Kafka's security.protocol), got ${JSON.stringify(value.protocol)}`);
  const usesSasl = protocol.startsWith('SASL_');
  const usesTls = protocol.endsWith('SSL');
  if (usesSasl && value.sasl === undefined) throw new ValidationError(`${who}: security protocol ${protocol} needs sasl: { mechanism, username, password }`);
  if (!usesSasl && value.sasl !== undefined) throw new ValidationError(`${who}: sasl settings need security protocol SASL_SSL or SASL_PLAINTEXT, not ${protocol}`);
  if (!usesTls && value.ssl !== undefined) throw new ValidationError(`${who}: ssl settings need security protocol SSL or SASL_SSL, not ${protocol}`);
  const unknown = Object.keys(value).filter((k) => !['protocol', 'sasl', 'ssl'].includes(k));
  if (unknown.length > 0) throw new ValidationError(`${who}: security has no setting ${unknown.map((k) => `'${k}'`).join(', ')}: use protocol, sasl, ssl`);
  return {
    protocol,
    ...(usesSasl ? { sasl: checkSasl(value.sasl, who) } : {}),
    ...(usesTls && value.ssl !== undefined ? { ssl: checkTls(value.ssl, who) } : {}),
  };
}
