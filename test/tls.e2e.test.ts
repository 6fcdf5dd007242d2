// A cluster secured end to end, as separate processes: mutual TLS between the
// coordinator and the workers (certificates of a test cluster CA), TLS towards
// clients, etcd with TLS and client certificates, bearer tokens with roles on
// the gRPC and REST API, and a rotated server certificate picked up without a
// restart.
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueCertificate } from '@weir/cli';
import { grpc, taskExecutorClient, unaryCall, useInternalTransport, WEIR_ENV, type ClusterView } from '@weir/protocol';
import { eventually } from './helpers/local-cluster.ts';
import { startTlsCluster, TOKENS, type TlsCluster } from './helpers/tls-cluster.ts';
import { weir, type CliResult } from './helpers/weir-cli.ts';

let cluster: TlsCluster;

beforeAll(async () => {
  cluster = await startTlsCluster(2);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

beforeEach((context) => {
  context.onTestFailed(() => void process.stderr.write(`--- cluster output (tail) ---\n${cluster?.log().slice(-8000) ?? ''}\n`));
});

/** `weir ...args` against the cluster, trusting `caFile` (default: the cluster CA) with `token`. */
function client(args: string[], token: string | undefined, caFile: string | null = cluster.caFile): Promise<CliResult> {
  const split = args.indexOf('--');
  const flags = ['--coordinator', cluster.coordinator.address, ...(token ? ['--token', token] : [])];
  const full = split < 0 ? [...args, ...flags] : [...args.slice(0, split), ...flags, ...args.slice(split)];
  // No CA from the test environment: only what this call passes.
  return weir(full, { env: { [WEIR_ENV.caFile]: caFile ?? '' } });
}

/** An HTTPS request to the REST API trusting the cluster CA; resolves with the status and body. */
function rest(path: string, method: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, cluster.coordinator.restUrl);
    const req = httpsRequest(url, { method, ca: cluster.ca.certificatePem, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The serial number of the certificate a new TLS connection to host:port is shown. */
function servedSerial(address: string, alpn: string[]): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, servername: 'localhost', ca: cluster.ca.certificatePem, ALPNProtocols: alpn }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.on('error', (error) => reject(new Error(`TLS to ${address} (${alpn.join(',')}): ${error.message}`)));
  });
}

async function startLongJob(token: string): Promise<string> {
  const output = join(cluster.dir, `long-${Date.now()}`);
  const submitted = await client(['run', 'examples/keyed-counts.ts', '-d', '-p', '2', '--', '--events', '100000000', '--keys', '5', '--rate', '200', '--output', output], token);
  expect(submitted.code, submitted.stderr).toBe(0);
  return /Submitted job (\S+)/.exec(submitted.stdout)![1]!;
}

describe('mutual TLS between the cluster processes', () => {
  it('registers the workers over mutual TLS, with etcd over TLS, and runs a job end to end for a submitter', async () => {
    const view = await eventually(async () => {
      const listed = await client(['cluster', '--json'], TOKENS.viewer);
      const parsed = listed.code === 0 ? (JSON.parse(listed.stdout) as ClusterView) : undefined;
      return parsed && parsed.workers.length === 2 ? parsed : undefined;
    }, 60_000, 'both workers to register');
    expect(view.workers.map((w) => w.workerId).sort()).toEqual(['tls-worker-0', 'tls-worker-1']);
    expect(view.leadership?.leader.address).toBe(cluster.coordinator.address);
    const output = join(cluster.dir, 'counts');
    // 2 keys at parallelism 2: records cross from one worker to the other on the Exchange stream.
    const run = await client(['run', 'examples/keyed-counts.ts', '-p', '2', '--', '--events', '2000', '--keys', '10', '--output', output], TOKENS.submitter);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('FINISHED');
    const { readJsonLines } = await import('./helpers/outputs.ts');
    const records = await readJsonLines<{ key: string; count: number }>(output);
    expect(records).toHaveLength(2000);
    const last = new Map<string, number>();
    for (const r of records) last.set(r.key, Math.max(last.get(r.key) ?? 0, r.count));
    expect([...last.values()]).toEqual(new Array(10).fill(200));
  });

  it('refuses a worker whose certificate comes from another CA', async () => {
    // It trusts the cluster CA (so it can check the coordinator) but holds a certificate of another CA.
    // etcd itself would refuse that certificate: the worker reaches etcd with a good one, to be refused by the coordinator.
    const rogue = await cluster.startWorker(9, { ...cluster.memberEnv(cluster.rogue), [WEIR_ENV.etcdCert]: cluster.member.certFile, [WEIR_ENV.etcdKey]: cluster.member.keyFile });
    try {
      await eventually(async () => (/WorkerSession is for the cluster's own processes/.test(cluster.log()) ? true : undefined), 30_000, 'the coordinator to refuse the rogue worker');
      expect(cluster.log()).toMatch(/"call":"WorkerSession","reason":"denied".*client API call refused/);
      const view = JSON.parse((await client(['cluster', '--json'], TOKENS.viewer)).stdout) as ClusterView;
      // etcd lists it (it holds an etcd certificate), but it never has a session with the coordinator: no slots, no tasks.
      expect(view.workers.filter((w) => w.connected).map((w) => w.workerId).sort()).toEqual(['tls-worker-0', 'tls-worker-1']);
      expect(view.workers.find((w) => w.workerId === 'tls-worker-9')).toMatchObject({ connected: false, freeSlots: 0 });
    } finally {
      rogue.signal('SIGKILL');
      await rogue.exited();
    }
    // Nor can anything with such a certificate reach a worker's service: the handshake is refused.
    useInternalTransport({ kind: 'mtls', files: { caFile: cluster.caFile, ...cluster.rogue } });
    const worker = taskExecutorClient(cluster.workers[0]!.address);
    try {
      const error = await unaryCall(worker, 'releaseJob', { jobId: 'none', leaderEpoch: 0 }, 10_000).then(() => undefined, (e: grpc.ServiceError) => e);
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      worker.close();
    }
  });

  it('refuses a client that does not trust the cluster CA, saying how to fix it', async () => {
    const noCa = await client(['list'], TOKENS.viewer, null);
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toContain('no CA file to verify the coordinator with: pass --ca-file');
    const otherCa = await client(['list'], TOKENS.viewer, cluster.rogueCaFile);
    expect(otherCa.code).toBe(1);
    expect(otherCa.stderr).toMatch(/no TLS connection to the coordinator at .*: .*certificate.*; pass --ca-file/);
    const plaintext = await client(['list', '--insecure-plaintext'], TOKENS.viewer);
    expect(plaintext.code).toBe(1);
    const refused = await rest('/jobs', 'GET', TOKENS.viewer).then(() => 'served', (e: Error) => e.message);
    expect(refused).toBe('served');
  });
});

describe('tokens and roles', () => {
  it('lets a viewer list but not cancel, an operator cancel, and refuses a wrong or missing token', async () => {
    const jobId = await startLongJob(TOKENS.submitter);
    const listed = await client(['list'], TOKENS.viewer);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(jobId);

    const byViewer = await client(['cancel', jobId], TOKENS.viewer);
    expect(byViewer.code).toBe(1);
    expect(byViewer.stderr).toContain("refused the call (permission denied): CancelJob needs role operator, and the token of 'ana' has role viewer: use a token of role operator or above");
    const submitByViewer = await client(['run', 'examples/wordcount.ts', '--', '--input', 'README.md', '--output', join(cluster.dir, 'never')], TOKENS.operator);
    expect(submitByViewer.code).toBe(1);
    expect(submitByViewer.stderr).toContain("SubmitJob needs role submitter, and the token of 'otto' has role operator");

    const wrong = await client(['list'], 'not-a-token-of-this-cluster');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the call (unauthenticated): the token is not known to this coordinator');
    const none = await client(['list'], undefined);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('ListJobs needs a bearer token: pass --token (or WEIR_TOKEN)');
    expect(cluster.log()).toMatch(/"call":"CancelJob","reason":"denied","tokenName":"ana".*client API call refused/);

    const byOperator = await client(['cancel', jobId], TOKENS.operator);
    expect(byOperator.code, byOperator.stderr).toBe(0);
    await eventually(async () => {
      const status = await client(['status', jobId, '--json'], TOKENS.viewer);
      return status.code === 0 && (JSON.parse(status.stdout) as { status: string }).status === 'CANCELED' ? true : undefined;
    }, 60_000, 'the job to be canceled');
  });

  it('guards the REST API over HTTPS the same way: 401 without a known token, 403 without the role', async () => {
    const jobId = await startLongJob(TOKENS.submitter);
    expect((await rest('/jobs', 'GET')).status).toBe(401);
    expect((await rest('/jobs', 'GET', 'not-a-token-of-this-cluster')).status).toBe(401);
    const listed = await rest('/jobs', 'GET', TOKENS.viewer);
    expect(listed.status).toBe(200);
    expect(listed.body).toContain(jobId);
    const denied = await rest(`/jobs/${jobId}?mode=cancel`, 'PATCH', TOKENS.viewer);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('needs role operator');
    expect((await rest('/', 'GET')).status).toBe(200);
    const canceled = await rest(`/jobs/${jobId}?mode=cancel`, 'PATCH', TOKENS.operator);
    expect(canceled.status, canceled.body).toBe(202);
  });
});

describe('certificate rotation', () => {
  it('serves a replaced server certificate to new connections, without a restart', async () => {
    const grpcAddress = cluster.coordinator.address;
    const restAddress = new URL(cluster.coordinator.restUrl).host;
    const before = await servedSerial(grpcAddress, ['h2']);
    expect(await servedSerial(restAddress, ['http/1.1'])).toBe(before);
    const pid = cluster.coordinator.pid;
    const next = issueCertificate(cluster.ca, 'weir-api-rotated');
    // Key first, then certificate: in between, the old pair stays in use.
    await writeFile(cluster.rest.keyFile, next.keyPem);
    await writeFile(cluster.rest.certFile, next.certificatePem);
    const expected = (await import('node:crypto')).X509Certificate;
    const serial = new expected(await readFile(cluster.rest.certFile)).serialNumber;
    expect(serial).not.toBe(before);
    await eventually(async () => ((await servedSerial(grpcAddress, ['h2'])) === serial ? true : undefined), 30_000, 'the gRPC port to serve the new certificate');
    await eventually(async () => ((await servedSerial(restAddress, ['http/1.1'])) === serial ? true : undefined), 30_000, 'the REST port to serve the new certificate');
    expect(cluster.coordinator.pid).toBe(pid);
    // Clients still work over the new certificate.
    const listed = await client(['list'], TOKENS.viewer);
    expect(listed.code, listed.stderr).toBe(0);
  });
});
