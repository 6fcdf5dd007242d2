// Hostile input against a running cluster: a client and a worker that speak
// weir.v1 straight from the .proto (grpc-js, no Weir client code) send
// malformed bytes, wrong and huge values, forged task states, acks and
// declines, another WorkerSession claiming a registered worker id, orders with a
// forged leader epoch, garbage on the data plane and path traversal in
// savepoint and artifact requests, while an exactly-once job runs. Each gets
// a clear error or is dropped and logged; no process crashes, and the job's
// committed output is exactly once with no restart.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callWithBytes, exchange, grpc, hostileClient, workerSession } from './helpers/hostile-grpc.ts';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { rest } from './helpers/rest.ts';

let cluster: TestCluster;
let work: string;
let jobId: string;
let output: string;
const EVENTS = 480_000;
const KEYS = 5;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-hostile-'));
  output = join(work, 'counts');
  // About 40 s of input: the attacks below run while it does.
  const submitted = await cluster.run(['run', 'examples/exactly-once-counts.ts', '-d', '--json', '-p', '2', '--', '--events', String(EVENTS), '--keys', String(KEYS), '--rate', '12000', '--checkpoint-interval', '500', '--output', output]);
  expect(submitted.code, submitted.stderr).toBe(0);
  jobId = (JSON.parse(submitted.stdout) as { jobId: string }).jobId;
  await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > 0 ? true : undefined), 60_000, 'a first checkpoint');
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** The job and the cluster as the coordinator's gRPC API answers (faster than the CLI on a loaded machine). */
interface JobMessage {
  status: string;
  attempt: number;
  restarts: number;
  vertices: { id: string }[];
}
interface WorkerMessage {
  workerId: string;
  address: string;
  pid: number;
}

/** Asks the coordinator `method` and returns the answer's `field` (the call must succeed). */
async function ask<T>(method: string, request: Record<string, unknown>, field: string): Promise<T> {
  const client = hostileClient('JobManager', cluster.address);
  const answer = await call(client, method, request).finally(() => client.close());
  expect(answer.code, answer.details).toBe(grpc.status.OK);
  return answer.response![field] as T;
}

const job = (): Promise<JobMessage> => ask<JobMessage>('getJob', { jobId }, 'job');
const workers = async (): Promise<WorkerMessage[]> => (await ask<{ workers: WorkerMessage[] }>('getCluster', {}, 'cluster')).workers;

/** The coordinator's and both workers' PIDs. */
async function pids(): Promise<number[]> {
  return [cluster.launcher.coordinator.pid!, ...(await workers()).map((w) => w.pid)];
}

/** Every process of the cluster is alive and the coordinator still answers with both workers. */
async function expectAllAlive(before: number[]): Promise<void> {
  for (const pid of before) expect(() => process.kill(pid, 0), `process ${pid} is alive`).not.toThrow();
  expect((await workers()).map((w) => w.pid).sort()).toEqual(before.slice(1).sort());
}

async function runningJob(): Promise<JobMessage> {
  const view = await job();
  expect(view.status).toBe('RUNNING');
  return view;
}

describe('hostile input', () => {
  it('a hostile client gets clear errors for traversal, bad ids, malformed bytes and huge values', async () => {
    const before = await pids();
    const client = hostileClient('JobManager', cluster.address);
    try {
      const artifact = await call(client, 'fetchArtifact', { jobId: '../../../../etc' });
      expect(artifact).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^job_id "\.\.\/\.\.\/\.\.\/\.\.\/etc" is not a job id/) });
      const traversal = await call(client, 'triggerSavepoint', { jobId, directory: `${work}/../../etc/sp`, stop: false });
      expect(traversal).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^directory ".*" has a '\.\.' segment/) });
      const outside = await call(client, 'triggerSavepoint', { jobId, directory: '/etc/weir-savepoints', stop: true });
      expect(outside).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/is outside the savepoint roots .*WEIR_SAVEPOINT_ROOTS/) });
      const otherBucket = await call(client, 'triggerSavepoint', { jobId, directory: 's3://Not_A_Bucket/x', stop: true });
      expect(otherBucket.details).toMatch(/valid S3 bucket/);
      const restore = await call(client, 'submitJob', { name: 'x', jobGraphJson: '{}', artifact: Buffer.from('export default 1'), fromSavepoint: '/../../root' });
      expect(restore.code).toBe(grpc.status.INVALID_ARGUMENT);
      const graph = await call(client, 'submitJob', { name: 'x', jobGraphJson: '{"vertices": 5}', artifact: Buffer.from('x') });
      expect(graph.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((await call(client, 'getJob', { jobId: 'x'.repeat(100_000) })).code).toBe(grpc.status.NOT_FOUND);
      // Not a protobuf message at all, and a message with a field of the wrong wire type.
      const garbage = await callWithBytes(client, '/weir.v1.JobManager/GetJob', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
      expect(garbage.code).toBe(grpc.status.INTERNAL);
      const wrongType = await callWithBytes(client, '/weir.v1.JobManager/CancelJob', Buffer.from([0x0d, 1, 2, 3, 4]));
      expect(wrongType.code).not.toBe(grpc.status.OK);
      // The REST API: a savepoint outside the roots, and a body with an unknown field.
      const restOutside = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/savepoints`, 'POST', { 'target-directory': '/etc/x' });
      expect(restOutside.status).toBe(400);
      expect(restOutside.body.errors.join(' ')).toMatch(/outside the savepoint roots/);
      const unknownField = await rest(`${cluster.restUrl}/jobs/${jobId}/savepoints`, 'POST', { 'target-directory': join(work, 'sp'), evil: true });
      expect(unknownField.status).toBe(400);
    } finally {
      client.close();
    }
    await runningJob();
    await expectAllAlive(before);
  });

  it('a hostile worker cannot claim a registered id, forge task states, acks or declines, or crash the coordinator with malformed messages', async () => {
    const before = await pids();
    const view = await runningJob();
    const real = (await workers())[0]!;
    const client = hostileClient('JobManager', cluster.address);
    try {
      // Another WorkerSession claiming a registered worker's id from another address is refused; the real one stays.
      const claim = workerSession(client);
      claim.write({ register: { workerId: real.workerId, address: '127.0.0.1:1', slots: 64, pid: 1, host: 'evil' } });
      expect(await claim.ended).toMatchObject({ code: grpc.status.ALREADY_EXISTS, details: expect.stringMatching(new RegExp(`worker id ${real.workerId} is registered already`)) });
      // Messages before a registration, and registrations with impossible values.
      const unregistered = workerSession(client);
      unregistered.write({ heartbeat: { metricsJson: '[]' } });
      expect(await unregistered.ended).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: expect.stringMatching(/must start with a registration/) });
      const huge = workerSession(client);
      huge.write({ register: { workerId: 'evil', address: '127.0.0.1:1', slots: 4_294_967_295, pid: 1, host: 'evil' } });
      expect(await huge.ended).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringMatching(/^the worker registration is invalid: slots:/) });

      // A registered hostile worker (no slots worth scheduling on: it is gone before anything restarts).
      const hostile = workerSession(client);
      hostile.write({ register: { workerId: 'hostile-worker', address: '127.0.0.1:9', slots: 1, pid: 1, host: 'evil' } });
      await hostile.registered;
      const vertex = view.vertices.at(-1)!;
      const subtask = { jobId, attempt: view.attempt, vertexId: vertex.id, subtaskIndex: 0 };
      // Forged: a subtask it does not run fails, declines and acknowledges checkpoints.
      hostile.write({ taskState: { ...subtask, state: 'FAILED', error: 'forged failure', metricsJson: '', nonRecoverable: true } });
      const newest = (await cluster.completedCheckpoints(jobId)).at(-1)!.checkpointId;
      for (let id = newest; id < newest + 200; id++) hostile.write({ checkpointDeclined: { ...subtask, checkpointId: id, reason: 'forged decline' } });
      const ack = { ...subtask, checkpointId: newest + 1, operators: {}, bytes: 0, alignmentMs: 0, syncMs: 0, asyncMs: 0 };
      hostile.write({ checkpointAck: { ackJson: JSON.stringify(ack) } });
      // Malformed: metrics that are not a list, not JSON, too large; unknown states; no body at all.
      for (const metricsJson of ['5', '{', '[null]', JSON.stringify([{ metrics: { jobId: 7 } }]), 'x'.repeat(9 * 1024 * 1024)]) hostile.write({ heartbeat: { metricsJson } });
      hostile.write({ taskState: { ...subtask, state: 'EXPLODED', error: '', metricsJson: '' } });
      hostile.write({ taskState: { ...subtask, state: 'RUNNING', error: '', metricsJson: '{"metrics": 1}' } });
      hostile.write({ checkpointAck: { ackJson: '{"jobId": ' } });
      hostile.write({});
      await eventually(async () => (/ignored a worker message that is malformed or not the worker's to send/.test(cluster.log()) ? true : undefined), 20_000, 'the coordinator to log the ignored messages');
      hostile.end();
      await hostile.ended;
      await eventually(async () => ((await workers()).every((w) => w.workerId !== 'hostile-worker') ? true : undefined), 20_000, 'the hostile worker to be dropped');
    } finally {
      client.close();
    }
    const after = await runningJob();
    expect(after.restarts, 'no forged message restarted the job').toBe(0);
    const forged = (await cluster.run(['checkpoints', jobId, '--json'])).stdout;
    expect(forged).not.toMatch(/forged/);
    await expectAllAlive(before);
  });

  it('a worker refuses orders with a forged leader epoch and malformed deployments, and drops garbage on its data port', async () => {
    const before = await pids();
    const view = await runningJob();
    const worker = (await workers())[0]!;
    const client = hostileClient('TaskExecutor', worker.address);
    try {
      for (const [method, request] of [
        ['cancelTasks', { jobId, attempt: view.attempt, leaderEpoch: 999 }],
        ['notifyCheckpointComplete', { jobId, attempt: view.attempt, checkpointId: 1_000_000, leaderEpoch: 5 }],
        ['triggerCheckpoint', { jobId, attempt: view.attempt, checkpointId: 1_000_000, stopSources: true, leaderEpoch: 7 }],
        ['releaseJob', { jobId, leaderEpoch: 2 }],
      ] as const) {
        const answer = await call(client, method, request);
        expect(answer, method).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: expect.stringMatching(/without etcd every order carries leader epoch 0/) });
      }
      const deploy = await call(client, 'deployTasks', { deploymentJson: ['{', '{"jobId": 5}'], leaderEpoch: 0 });
      expect(deploy.code).toBe(grpc.status.FAILED_PRECONDITION);
      // The data plane: unknown channels, unknown kinds, impossible credits, an oversized frame, credits for 20,000 channels.
      const garbage: Record<string, unknown>[] = [
        { channel: `${jobId}/forged/a#0>b#0`, kind: 0, payload: Buffer.from([0xc1, 0xc1]), recordCount: 1 },
        { channel: 'x', kind: 77, payload: Buffer.alloc(0) },
        { channel: 'x', kind: 255, credits: 0 },
        { channel: 'x', kind: 255, credits: 4_000_000_000 },
        { channel: '', kind: 2, checkpointId: 1 },
        { channel: 'x'.repeat(5000), kind: 1, watermark: 1 },
        { channel: 'x', kind: 0, payload: Buffer.alloc(64 * 1024 * 1024 + 1) },
      ];
      for (let i = 0; i < 20_000; i++) garbage.push({ channel: `${jobId}/forged/p#${i}>c#0`, kind: 255, credits: 1 });
      expect((await exchange(client, garbage)).code).toBe(grpc.status.OK);
      await eventually(async () => (/dropped a message of a peer data stream/.test(cluster.log()) ? true : undefined), 20_000, 'the worker to log the dropped messages');
    } finally {
      client.close();
    }
    await runningJob();
    await expectAllAlive(before);
  });

  it('the job ran through all of it: committed output exactly once, no restart', async () => {
    const view = await cluster.waitForEnd(jobId, 120_000);
    expect(view.status).toBe('FINISHED');
    expect(view.restarts).toBe(0);
    const expected = new Map<string, number>();
    for (let i = 0; i < EVENTS; i++) expected.set(`k${i % KEYS}`, (expected.get(`k${i % KEYS}`) ?? 0) + 1);
    expect(checkExactCounts(await readJsonLines(output), expected)).toEqual([]);
  });
});
