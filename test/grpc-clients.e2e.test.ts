// A client Weir did not write talks to a real cluster: grpcurl (built from its
// Go module by scripts/grpcurl.sh, here if missing) finds the services through
// server reflection, reads a running job's status and the cluster as typed
// messages, and asks the standard health service of the coordinator and of a
// worker.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { TEST_TLS } from './helpers/test-tls.ts';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../scripts/grpcurl.sh', import.meta.url));

let cluster: TestCluster;
let grpcurlPath: string;
let jobId: string;

/**
 * Runs grpcurl against `address` over mutual TLS, with the cluster's CA and a
 * member certificate (a worker's port accepts nothing less); `data` is sent as the request.
 */
async function grpcurl(address: string, args: string[], data?: object): Promise<string> {
  const flags = args.filter((a) => a.startsWith('-'));
  const rest = args.filter((a) => !a.startsWith('-'));
  const tls = ['-cacert', TEST_TLS.caFile, '-cert', TEST_TLS.certFile, '-key', TEST_TLS.keyFile];
  const { stdout } = await run(grpcurlPath, [...tls, ...flags, ...(data ? ['-d', JSON.stringify(data)] : []), address, ...rest], { timeout: 20_000 });
  return stdout;
}

beforeAll(async () => {
  await run(SCRIPT, ['fetch'], { timeout: 600_000 });
  grpcurlPath = (await run(SCRIPT, ['path'])).stdout.trim();
  cluster = await startCluster({ workers: 2, slots: 4 });
  const submit = await cluster.run(['run', 'test/fixtures/slow-sink-job.ts', '-p', '2', '-d', '--json']);
  expect(submit.code, submit.stderr).toBe(0);
  jobId = (JSON.parse(submit.stdout) as { jobId: string }).jobId;
}, 660_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** JSON numbers of int64 fields come as strings in protobuf's JSON mapping. */
const count = (value: string | number | undefined): number => Number(value ?? 0);

interface GrpcurlJob {
  jobId: string;
  status: string;
  vertices: { id: string; parallelism: number; subtasks: { index: number; state: string; workerId?: string; recordsIn: string; recordsOut: string }[] }[];
}

describe('a gRPC client Weir did not write (grpcurl)', () => {
  it('lists and describes the services through reflection', async () => {
    const services = (await grpcurl(cluster.address, ['list'])).split('\n').filter(Boolean);
    expect(services.sort()).toEqual(['grpc.health.v1.Health', 'weir.v1.JobManager']);
    const jobManager = await grpcurl(cluster.address, ['describe', 'weir.v1.JobManager']);
    expect(jobManager).toContain('rpc GetJob ( .weir.v1.GetJobRequest ) returns ( .weir.v1.GetJobResponse );');
    const job = await grpcurl(cluster.address, ['describe', 'weir.v1.Job']);
    expect(job).toMatch(/repeated \.weir\.v1\.Vertex vertices = 8;/);
    expect(job).toMatch(/optional int64 end_time_ms = 7;/);
    // A map field (its entry type named as protoc names it): grpcurl's Go runtime accepts the descriptor.
    expect(await grpcurl(cluster.address, ['describe', 'weir.v1.Subtask'])).toMatch(/map<string, double> counters = 12;/);
  });

  it("reads a running job's vertices, subtasks and record counts with GetJob", async () => {
    const job = await eventually(async () => {
      const answer = JSON.parse(await grpcurl(cluster.address, ['-emit-defaults', 'weir.v1.JobManager/GetJob'], { jobId })) as { job: GrpcurlJob };
      const subtasks = answer.job.vertices.flatMap((v) => v.subtasks);
      const flowing = answer.job.status === 'RUNNING' && subtasks.every((s) => s.state === 'RUNNING') && answer.job.vertices.at(-1)!.subtasks.every((s) => count(s.recordsIn) > 0);
      return flowing ? answer.job : undefined;
    }, 30_000, 'the job to run with records flowing, as GetJob tells');
    expect(job.jobId).toBe(jobId);
    expect(job.vertices.length).toBe(2);
    for (const v of job.vertices) {
      expect(v.parallelism).toBe(2);
      expect(v.subtasks.map((s) => s.index)).toEqual([0, 1]);
      for (const s of v.subtasks) expect(s.workerId).toMatch(/.+/);
    }
    expect(job.vertices[0]!.subtasks.every((s) => count(s.recordsOut) > 0)).toBe(true);
  });

  it('reads the workers and their slots with GetCluster', async () => {
    const { cluster: view } = JSON.parse(await grpcurl(cluster.address, ['-emit-defaults', 'weir.v1.JobManager/GetCluster'])) as {
      cluster: { address: string; workers: { workerId: string; address: string; slots: number; freeSlots: number }[] };
    };
    expect(view.address).toBe(cluster.address);
    expect(view.workers.length).toBe(2);
    for (const w of view.workers) expect(w.slots).toBe(4);
    // The job's four subtasks (two vertices at parallelism 2) share two of the eight slots.
    expect(view.workers.reduce((n, w) => n + w.freeSlots, 0)).toBe(6);
  });

  it('finds the coordinator and a worker SERVING with grpc.health.v1.Health/Check', async () => {
    const health = async (address: string, service: string): Promise<string> =>
      (JSON.parse(await grpcurl(address, ['grpc.health.v1.Health/Check'], { service })) as { status: string }).status;
    expect(await health(cluster.address, '')).toBe('SERVING');
    expect(await health(cluster.address, 'weir.v1.JobManager')).toBe('SERVING');
    const worker = (await cluster.cluster()).workers[0]!;
    expect(await health(worker.address, '')).toBe('SERVING');
    expect(await health(worker.address, 'weir.v1.TaskExecutor')).toBe('SERVING');
    // The worker also answers reflection.
    expect((await grpcurl(worker.address, ['list'])).split('\n').filter(Boolean).sort()).toEqual(['grpc.health.v1.Health', 'weir.v1.TaskExecutor']);

    // Without a certificate of the cluster CA a worker refuses the handshake, and no port speaks plaintext.
    const refused = (args: string[]): Promise<string> => run(grpcurlPath, args, { timeout: 20_000 }).then(() => 'answered', (e: { stderr?: string }) => e.stderr ?? '');
    // (grpcurl retries the refused handshake until its deadline.)
    expect(await refused(['-cacert', TEST_TLS.caFile, '-connect-timeout', '3', worker.address, 'list'])).toMatch(/Failed to dial target host/);
    expect(await refused(['-plaintext', '-connect-timeout', '3', cluster.address, 'list'])).toMatch(/Failed to dial target host|connection closed|EOF/);
    // Kubernetes probes (which cannot speak TLS) ask the plaintext metrics port, which says the same.
    for (const member of cluster.launcher.members) {
      const probe = member.metricsUrl.replace(/\/metrics$/, '');
      expect((await fetch(`${probe}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${probe}/healthz`)).text()).toBe('ok\n');
    }
  });
});
