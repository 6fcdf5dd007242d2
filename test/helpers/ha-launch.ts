// deploy/k8s/overlays/ha launched as real processes (manifest-launch.ts),
// with what the overlay expects of its surroundings: a SeaweedFS S3 server
// (started on loopback outside the pods, exposed on the pod network as the
// overlay's s3Endpoint host `weir-s3`, its bucket the one of checkpointDir)
// the Secret weir-s3-credentials holding its keys, and the Secrets weir-tls (a
// cluster CA made here and a member certificate naming weir-coordinator) and
// weir-tokens (a viewer token for the test's REST calls, a submitter token
// for the submit Job), as docs/security.md has an operator create them. The images map onto
// this machine: `weir` (after tini) is this checkout's CLI entry,
// packages/cli/bin/weir.mjs, run by the Node running the tests, with the
// image's environment (NODE_ENV=production, WEIR_LOG_LEVEL=info); etcd is the
// etcd on PATH.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '@weir/cli';
import type { K8sObject } from './k8s-manifests.ts';
import { checkLaunchable, ManifestLaunch, type LaunchOptions } from './manifest-launch.ts';
import { splice, type RestTls } from './netns-agent.ts';
import type { CommandMap } from './pod-process.ts';
import { startSeaweedFs, type SeaweedFsServer } from './seaweedfs-server.ts';
import { WEIR_BIN } from './weir-cli.ts';

/** The images of deploy/k8s on this machine: tini dropped (SIGTERM goes straight to the process), weir and etcd mapped. */
export const weirImageCommands: CommandMap = (argv) => {
  const rest = argv[0] === '/usr/bin/tini' ? argv.slice(argv.indexOf('--') + 1) : argv;
  if (rest[0] === 'weir') return [process.execPath, WEIR_BIN, ...rest.slice(1)];
  if (rest[0] === '/usr/local/bin/etcd') return ['etcd', ...rest.slice(1)];
  throw new Error(`the launch does not know how to run ${JSON.stringify(argv)} (known: weir, /usr/local/bin/etcd)`);
};

/** The ENV lines of the Dockerfile's image. */
export const weirImageEnv = (image: string): Record<string, string> => (/(^|\/)weir:/.test(image) ? { NODE_ENV: 'production', WEIR_LOG_LEVEL: 'info' } : {});

/** The object storage the overlay's configuration names, read from its weir.yaml: bucket, endpoint host and port. */
export function s3Target(objects: K8sObject[]): { bucket: string; host: string; port: number } {
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('weir-config'))?.data as Record<string, string> | undefined;
  const text = config?.['config.yaml'] ?? '';
  const bucket = /checkpointDir:\s*s3:\/\/([^/\s]+)/.exec(text)?.[1];
  const endpoint = /s3Endpoint:\s*(\S+)/.exec(text)?.[1];
  if (!bucket || !endpoint) throw new Error('the build has no s3:// checkpointDir and s3Endpoint in weir.yaml: the launch needs them to place object storage');
  const url = new URL(endpoint);
  return { bucket, host: url.hostname, port: Number(url.port || 80) };
}

/** The Secrets weir-tls and weir-tokens of a launch, and how the test reaches the REST API with them. */
function securitySecrets(): { secrets: Record<string, Record<string, string>>; rest: RestTls } {
  const ca = createCertificateAuthority('Weir launch CA');
  const member = issueCertificate(ca, 'weir-member', ['weir-coordinator', 'localhost', '127.0.0.1']);
  const viewer = `viewer-${randomBytes(24).toString('hex')}`;
  const submitter = `submitter-${randomBytes(24).toString('hex')}`;
  return {
    secrets: {
      'weir-tls': { 'ca.crt': ca.certificatePem, 'tls.crt': member.certificatePem, 'tls.key': member.keyPem },
      'weir-tokens': { tokens: `viewer launch-test ${viewer}\nsubmitter launch-submit ${submitter}\n`, submitter },
    },
    rest: { ca: ca.certificatePem, serverName: 'weir-coordinator', token: viewer },
  };
}

/** A launched build with its object storage. */
export interface HaLaunch {
  /** HTTPS and the viewer token towards the coordinators' REST API. */
  rest: RestTls;
  launch: ManifestLaunch;
  s3: SeaweedFsServer;
  /** performance.now() when the launch started (after SeaweedFS was up). */
  startedAt: number;
  stop(): Promise<void>;
}

/**
 * Starts SeaweedFS, then the build's pods (not waiting for readiness). `options` adds to or overrides the launch's;
 * `withoutSecrets` leaves out some of the Secrets an operator would have created.
 */
export async function launchWithS3(objects: K8sObject[], options: Partial<LaunchOptions> & { withoutSecrets?: string[] } = {}): Promise<HaLaunch> {
  const { withoutSecrets = [], ...launchOptions } = options;
  const target = s3Target(objects);
  checkLaunchable(objects);
  const s3 = await startSeaweedFs(target.bucket);
  const dir = await mkdtemp(join(tmpdir(), 'weir-s3-socket-'));
  const socketPath = join(dir, 's3.sock');
  const [host, port] = new URL(s3.endpoint).host.split(':') as [string, string];
  const bridge: Server = createServer((client) => splice(client, connect({ host, port: Number(port) })));
  await new Promise<void>((resolve) => bridge.listen(socketPath, resolve));
  const security = securitySecrets();
  const launch = new ManifestLaunch({
    objects,
    commandMap: weirImageCommands,
    imageEnv: weirImageEnv,
    secrets: Object.fromEntries(
      Object.entries({ ...security.secrets, 'weir-s3-credentials': { 'access-key-id': s3.accessKeyId, 'secret-access-key': s3.secretAccessKey } }).filter(([name]) => !withoutSecrets.includes(name)),
    ),
    external: [{ names: [target.host], port: target.port, socketPath }],
    ...launchOptions,
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await launch.stop().catch(() => undefined);
    await new Promise((resolve) => bridge.close(resolve));
    await rm(dir, { recursive: true, force: true });
    await s3.stop();
  };
  const startedAt = performance.now();
  try {
    await launch.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { rest: security.rest, launch, s3, startedAt, stop };
}

/** GET from the REST API (port 8081) through the Service weir-coordinator, following a standby's 503 to the leader; undefined while nobody answers. */
export async function coordinatorRest<T>({ launch, rest }: Pick<HaLaunch, 'launch' | 'rest'>, path: string): Promise<T | undefined> {
  let host = launch.serviceIp('weir-coordinator');
  for (let hop = 0; hop < 2; hop++) {
    const answer = await launch.httpGet(host, 8081, path, rest).catch(() => undefined);
    if (answer?.status === 200) return JSON.parse(answer.body) as T;
    const leader = answer?.status === 503 ? (JSON.parse(answer.body) as { leader?: string }).leader : undefined;
    if (!leader) return undefined;
    host = leader.split(':')[0]!;
  }
  return undefined;
}
