// A TLS cluster as separate processes for the security tests: a test cluster
// CA, a rogue CA, certificates for the coordinator, the workers, the client
// API and etcd, a tokens file, etcd with TLS and client certificates, and a
// coordinator and workers started with `weir coordinator` / `weir worker`.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterMember, createCertificateAuthority, issueCertificate, writeCertificate, type CertificateAuthority } from '@weir/cli';
import { WEIR_ENV } from '@weir/protocol';
import { startEtcd, type EtcdServer } from './etcd-server.ts';

/** One token per role, and their names in the tokens file. */
export const TOKENS = {
  viewer: randomBytes(24).toString('hex'),
  operator: randomBytes(24).toString('hex'),
  submitter: randomBytes(24).toString('hex'),
} as const;

/** A running TLS cluster and the files it was made with. */
export interface TlsCluster {
  readonly dir: string;
  readonly ca: CertificateAuthority;
  /** PEM file of the cluster CA. */
  readonly caFile: string;
  /** PEM file of a CA that has nothing to do with the cluster. */
  readonly rogueCaFile: string;
  /** A certificate and key issued by the rogue CA. */
  readonly rogue: { certFile: string; keyFile: string };
  /** A member certificate of the cluster CA (what the workers hold). */
  readonly member: { certFile: string; keyFile: string };
  /** The certificate the coordinator presents to clients (replace these files to rotate it). */
  readonly rest: { certFile: string; keyFile: string };
  readonly etcd: EtcdServer;
  readonly coordinator: ClusterMember;
  readonly workers: ClusterMember[];
  /** The environment of a member: the security and etcd settings. */
  memberEnv(certificate: { certFile: string; keyFile: string }, caFile?: string): NodeJS.ProcessEnv;
  /** Starts one more worker with `env`; resolves with it once it says it listens. */
  startWorker(index: number, env: NodeJS.ProcessEnv): Promise<ClusterMember>;
  /** What the members logged. */
  log(): string;
  stop(): Promise<void>;
}

/** Makes the certificates and tokens, starts etcd with TLS, a coordinator and `workers` workers. */
export async function startTlsCluster(workers: number): Promise<TlsCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-tls-'));
  const ca = createCertificateAuthority('Weir test cluster CA');
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, ca.certificatePem);
  const rogueCa = createCertificateAuthority('Some other CA');
  const rogueCaFile = join(dir, 'rogue-ca.crt');
  await writeFile(rogueCaFile, rogueCa.certificatePem);
  const rogue = await writeCertificate(dir, 'rogue', issueCertificate(rogueCa, 'rogue-worker'));
  const coordinatorCert = await writeCertificate(dir, 'coordinator', issueCertificate(ca, 'weir-coordinator'));
  const member = await writeCertificate(dir, 'worker', issueCertificate(ca, 'weir-worker'));
  const rest = await writeCertificate(join(dir, 'rest'), 'tls', issueCertificate(ca, 'weir-api'));
  const etcdCert = await writeCertificate(dir, 'etcd', issueCertificate(ca, 'etcd'));
  const tokensFile = join(dir, 'tokens');
  await writeFile(tokensFile, `# role name token\nviewer ana ${TOKENS.viewer}\noperator otto ${TOKENS.operator}\nsubmitter ci ${TOKENS.submitter}\n`, { mode: 0o600 });
  // Rotation is checked every 300 ms here (default 60 s).
  const config = join(dir, 'weir.yaml');
  await writeFile(config, 'security:\n  certReloadIntervalMs: 300\n');

  const etcd = await startEtcd({ caFile, ...etcdCert, clientCertFile: member.certFile, clientKeyFile: member.keyFile });
  let log = '';
  const keep = (line: string, m: ClusterMember): void => {
    log = (log + `[${m.name}] ${line}\n`).slice(-400_000);
  };
  const clusterId = `tls-${randomBytes(4).toString('hex')}`;
  const memberEnv = (certificate: { certFile: string; keyFile: string }, trusted = caFile): NodeJS.ProcessEnv => ({
    ...process.env,
    [WEIR_ENV.logLevel]: 'info',
    [WEIR_ENV.transport]: 'tls',
    [WEIR_ENV.internalCa]: trusted,
    [WEIR_ENV.internalCert]: certificate.certFile,
    [WEIR_ENV.internalKey]: certificate.keyFile,
    [WEIR_ENV.etcdCa]: caFile,
    [WEIR_ENV.etcdCert]: certificate.certFile,
    [WEIR_ENV.etcdKey]: certificate.keyFile,
    [WEIR_ENV.config]: config,
  });
  const spec = (args: string[], env: NodeJS.ProcessEnv) => ({ nodeArgs: [], args, env, onOutput: keep, readyTimeoutMs: 60_000 });
  const coordinator = new ClusterMember(
    'coordinator',
    0,
    spec(['coordinator', '--port', '0', '--rest-port', '0', '--etcd', etcd.endpoint, '--cluster-id', clusterId, '--data-dir', join(dir, 'coordinator'), '--checkpoint-dir', join(dir, 'checkpoints')], {
      ...memberEnv(coordinatorCert),
      [WEIR_ENV.restCert]: rest.certFile,
      [WEIR_ENV.restKey]: rest.keyFile,
      [WEIR_ENV.tokensFile]: tokensFile,
    }),
  );
  const started: ClusterMember[] = [];
  const stop = async (): Promise<void> => {
    for (const m of [...started].reverse()) {
      m.signal('SIGTERM');
      const timer = setTimeout(() => m.signal('SIGKILL'), 5000);
      await m.exited();
      clearTimeout(timer);
    }
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const startWorker = async (index: number, env: NodeJS.ProcessEnv): Promise<ClusterMember> => {
    const worker = new ClusterMember('worker', index, spec(['worker', '--etcd', etcd.endpoint, '--cluster-id', clusterId, '--slots', '2', '--data-dir', join(dir, `worker-${index}`), '--worker-id', `tls-worker-${index}`], env));
    started.push(worker);
    await worker.start(() => undefined);
    return worker;
  };
  try {
    started.push(coordinator);
    await coordinator.start(() => undefined);
    const list: ClusterMember[] = [];
    for (let i = 0; i < workers; i++) list.push(await startWorker(i, memberEnv(member)));
    return { dir, ca, caFile, rogueCaFile, rogue, member, rest, etcd, coordinator, workers: list, memberEnv, startWorker, log: () => log, stop };
  } catch (error) {
    process.stderr.write(log.slice(-8000));
    await stop();
    throw error;
  }
}
