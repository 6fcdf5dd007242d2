// One throwaway cluster CA and member certificate per test process, shared by
// every cluster a test file starts and by every `weir` command it runs: the
// environment below makes coordinators and workers use mutual TLS and client
// commands trust the CA, so tests need not pass certificate flags.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterCertificates } from '@weir/cli';
import { WEIR_ENV, type TlsFiles } from '@weir/protocol';

/** The test process's cluster CA (`caFile`) and the members' certificate and key. */
export const TEST_TLS: TlsFiles = await generateClusterCertificates(join(mkdtempSync(join(tmpdir(), 'weir-test-tls-')), 'tls'));

/**
 * The environment of a TLS cluster like `weir local`'s: mutual TLS between
 * the members, the REST API over HTTP (loopback), and client commands trusting the CA.
 */
export const TEST_TLS_ENV: NodeJS.ProcessEnv = {
  [WEIR_ENV.transport]: 'tls',
  [WEIR_ENV.internalCa]: TEST_TLS.caFile,
  [WEIR_ENV.internalCert]: TEST_TLS.certFile,
  [WEIR_ENV.internalKey]: TEST_TLS.keyFile,
  [WEIR_ENV.restTransport]: 'plaintext',
  [WEIR_ENV.caFile]: TEST_TLS.caFile,
};
