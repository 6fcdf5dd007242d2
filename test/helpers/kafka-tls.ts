import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Throwaway TLS material for a secured test broker (scripts/kafka-local.sh start --secure), made with the openssl binary. */
export interface KafkaTlsFiles {
  /** The directory to pass to `kafka-local.sh start --secure` (ca.pem, broker.pem, users). */
  readonly directory: string;
  /** The CA that signed the broker and client certificates. */
  readonly caFile: string;
  /** A client certificate and its key, signed by the CA (for the SSL listener, which requires one). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Another CA, which signed nothing the broker has. */
  readonly otherCaFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 30_000 });
}

async function newCa(cwd: string, name: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], cwd);
}

async function signed(cwd: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], cwd);
  await writeFile(join(cwd, `${name}.ext`), extensions);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], cwd);
}

/**
 * Makes a CA, a broker certificate for 127.0.0.1 and localhost, a client
 * certificate and an unrelated CA in `directory`, and the broker's users
 * (each a PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 user).
 */
export async function makeKafkaTls(directory: string, users: Record<string, string>): Promise<KafkaTlsFiles> {
  await mkdir(directory, { recursive: true });
  await newCa(directory, 'ca');
  await newCa(directory, 'other-ca');
  await signed(directory, 'broker', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await signed(directory, 'client', '/CN=weir-client', 'extendedKeyUsage=clientAuth\n');
  const key = await readFile(join(directory, 'broker.key'), 'utf8');
  const cert = await readFile(join(directory, 'broker.crt'), 'utf8');
  await writeFile(join(directory, 'broker.pem'), key + cert);
  await writeFile(join(directory, 'users'), Object.entries(users).map(([name, password]) => `${name} ${password}\n`).join(''));
  return {
    directory,
    caFile: join(directory, 'ca.pem'),
    clientCertFile: join(directory, 'client.crt'),
    clientKeyFile: join(directory, 'client.key'),
    otherCaFile: join(directory, 'other-ca.pem'),
  };
}
