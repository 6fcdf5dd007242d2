// The coordinator's REST API on a real local cluster with real jobs: every
// route answers with the same views as the gRPC API (`weir status`, `weir
// cluster`, `weir checkpoints`), savepoint, stop and cancel work, unknown ids
// are 404, bad bodies 400 naming the field, and a taken port is an error
// naming the port and the flag.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointView, JobStatusView, VertexView, WorkerView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { rest } from './helpers/rest.ts';
import { weir } from './helpers/weir-cli.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-rest-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

type RestJob = JobStatusView & { plan: { edges: { source: string; target: string; partitioning: string }[] } };

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', ...args, '-d', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

/** The job over REST once it runs, every subtask reading or writing records. */
async function flowing(jobId: string): Promise<RestJob> {
  return eventually(async () => {
    const { status, body } = await rest<RestJob>(`${cluster.restUrl}/jobs/${jobId}`);
    if (status !== 200 || body.status !== 'RUNNING') return undefined;
    const moving = body.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING' && (s.recordsInPerSecond ?? 0) + (s.recordsOutPerSecond ?? 0) > 0));
    return moving ? body : undefined;
  }, 60_000, `job ${jobId} to run with records flowing`);
}

describe('the REST API', () => {
  it('serves the same jobs, vertices, checkpoints and workers as the gRPC API', async () => {
    expect(cluster.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const jobId = await submit(['test/fixtures/slow-sink-job.ts', '-p', '2', '--checkpoint-interval', '500']);
    await flowing(jobId);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 2 ? true : undefined), 60_000, 'two completed checkpoints');

    // gRPC first, REST second: the REST counts are at least the gRPC ones.
    const grpcView = await cluster.status(jobId);
    const { status, body: job } = await rest<RestJob>(`${cluster.restUrl}/jobs/${jobId}`);
    expect(status).toBe(200);
    expect(job.jobId).toBe(jobId);
    expect(job.name).toBe(grpcView.name);
    expect(job.status).toBe(grpcView.status);
    expect(job.attempt).toBe(grpcView.attempt);
    expect(job.vertices.map((v) => [v.id, v.name, v.parallelism, v.operators])).toEqual(grpcView.vertices.map((v) => [v.id, v.name, v.parallelism, v.operators]));
    for (const [i, vertex] of job.vertices.entries()) {
      const other = grpcView.vertices[i]!;
      expect(vertex.subtasks.map((s) => [s.index, s.workerId])).toEqual(other.subtasks.map((s) => [s.index, s.workerId]));
      for (const [j, s] of vertex.subtasks.entries()) {
        expect(s.recordsIn).toBeGreaterThanOrEqual(other.subtasks[j]!.recordsIn);
        expect(s.recordsOut).toBeGreaterThanOrEqual(other.subtasks[j]!.recordsOut);
        expect(s.busyTimeMsPerSecond! + s.backPressuredTimeMsPerSecond! + s.idleTimeMsPerSecond!).toBeGreaterThan(900);
      }
    }
    // The plan: the source's vertex feeds the sink's over a rebalance edge.
    expect(job.plan.edges).toEqual([{ source: job.vertices[0]!.id, target: job.vertices[1]!.id, partitioning: 'rebalance' }]);

    // One vertex.
    const sink = job.vertices[1]!;
    const vertex = await rest<VertexView>(`${cluster.restUrl}/jobs/${jobId}/vertices/${sink.id}`);
    expect(vertex.status).toBe(200);
    expect(vertex.body.id).toBe(sink.id);
    expect(vertex.body.subtasks).toHaveLength(2);
    for (const [j, s] of vertex.body.subtasks.entries()) expect(s.recordsIn).toBeGreaterThanOrEqual(sink.subtasks[j]!.recordsIn);

    // The job list.
    const list = await rest<{ jobs: { jobId: string; name: string; status: string; endTimeMs: number | null }[] }>(`${cluster.restUrl}/jobs`);
    expect(list.body.jobs).toContainEqual(expect.objectContaining({ jobId, name: 'slow-sink', status: 'RUNNING', endTimeMs: null }));

    // Checkpoints: every one gRPC lists as completed is in the REST history, the same.
    const completed = await cluster.completedCheckpoints(jobId);
    const checkpoints = await rest<{ counts: { completed: number; total: number }; latestCompleted: CheckpointView; history: CheckpointView[] }>(`${cluster.restUrl}/jobs/${jobId}/checkpoints`);
    expect(checkpoints.status).toBe(200);
    for (const c of completed) expect(checkpoints.body.history).toContainEqual(c);
    expect(checkpoints.body.counts.completed).toBeGreaterThanOrEqual(completed.length);
    expect(checkpoints.body.latestCompleted.checkpointId).toBeGreaterThanOrEqual(completed.at(-1)!.checkpointId);

    // The latest completed checkpoint's details: every subtask acknowledged it, after its trigger and within its duration.
    const latest = checkpoints.body.latestCompleted;
    const details = await rest<{ checkpoint: CheckpointView; subtasks: { vertexId: string; subtaskIndex: number; ackTimestampMs: number; endToEndDurationMs: number }[] }>(`${cluster.restUrl}/jobs/${jobId}/checkpoints/details/${latest.checkpointId}`);
    expect(details.status).toBe(200);
    expect(details.body.checkpoint).toEqual(latest);
    expect(details.body.subtasks.map((s) => `${s.vertexId}/${s.subtaskIndex}`).sort()).toEqual(job.vertices.flatMap((v) => v.subtasks.map((s) => `${v.id}/${s.index}`)).sort());
    for (const s of details.body.subtasks) {
      expect(s.ackTimestampMs).toBeGreaterThanOrEqual(latest.triggeredAtMs);
      expect(s.endToEndDurationMs).toBeLessThanOrEqual(latest.durationMs!);
    }

    // No failure yet.
    expect((await rest(`${cluster.restUrl}/jobs/${jobId}/exceptions`)).body).toEqual({ rootException: null, subtasks: [] });

    // The cluster: the same workers; the overview counts them and their slots.
    const grpcCluster = await cluster.cluster();
    const workers = await rest<{ workers: WorkerView[] }>(`${cluster.restUrl}/workers`);
    expect(workers.body.workers.map((w) => [w.workerId, w.address, w.pid, w.slots]).sort()).toEqual(grpcCluster.workers.map((w) => [w.workerId, w.address, w.pid, w.slots]).sort());
    const overview = await rest<Record<string, unknown>>(`${cluster.restUrl}/overview`);
    expect(overview.body).toMatchObject({ coordinatorId: grpcCluster.coordinatorId, address: cluster.address, workers: 2, slotsTotal: 8, jobsRunning: 1 });
    // Two vertices at parallelism 2 share slots (one slot sharing group): the job holds 2 of the 8.
    expect(overview.body.slotsAvailable).toBe(grpcCluster.workers.reduce((n, w) => n + w.freeSlots, 0));
    expect(overview.body.slotsAvailable).toBe(8 - 2);

    // A savepoint, then stop with a savepoint: the job ends FINISHED.
    const savepoint = await rest<{ location: string }>(`${cluster.restUrl}/jobs/${jobId}/savepoints`, 'POST', { 'target-directory': join(work, 'savepoints') });
    expect(savepoint.status, JSON.stringify(savepoint.body)).toBe(200);
    expect(savepoint.body.location.startsWith(join(work, 'savepoints'))).toBe(true);
    expect(existsSync(join(savepoint.body.location, '_metadata'))).toBe(true);
    const stopped = await rest<{ location: string }>(`${cluster.restUrl}/jobs/${jobId}/stop`, 'POST', { targetDirectory: join(work, 'stop') });
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(existsSync(join(stopped.body.location, '_metadata'))).toBe(true);
    expect((await cluster.waitForEnd(jobId)).status).toBe('FINISHED');
    const savepoints = (await rest<{ history: CheckpointView[] }>(`${cluster.restUrl}/jobs/${jobId}/checkpoints`)).body.history.filter((c) => c.savepoint);
    expect(savepoints.map((c) => c.path)).toEqual([savepoint.body.location, stopped.body.location]);
    // A finished job takes no savepoint: 400 with the job's reason.
    const late = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/savepoints`, 'POST', { 'target-directory': join(work, 'late') });
    expect(late.status).toBe(400);
    expect(late.body.errors[0]).toContain('only a running job can take a savepoint');
  }, 240_000);

  it('cancels a job (PATCH /jobs/:id?mode=cancel)', async () => {
    const jobId = await submit(['test/fixtures/slow-sink-job.ts', '-p', '1']);
    await flowing(jobId);
    const cancel = await rest<{ jobId: string; status: string }>(`${cluster.restUrl}/jobs/${jobId}?mode=cancel`, 'PATCH');
    expect(cancel.status).toBe(202);
    expect(cancel.body.jobId).toBe(jobId);
    expect((await cluster.waitForEnd(jobId)).status).toBe('CANCELED');
    expect((await rest<JobStatusView>(`${cluster.restUrl}/jobs/${jobId}`)).body.status).toBe('CANCELED');
  });

  it("shows a failed job's exception with the user's stack", async () => {
    const result = await cluster.run(['run', 'test/fixtures/throwing-job.ts']);
    expect(result.code).toBe(1);
    const jobId = /Job ([0-9a-f]{32})/.exec(result.stdout)![1]!;
    const grpcView = await cluster.status(jobId);
    const { status, body } = await rest<{ rootException: string; subtasks: { vertexId: string; error: string }[] }>(`${cluster.restUrl}/jobs/${jobId}/exceptions`);
    expect(status).toBe(200);
    expect(body.rootException).toBe(grpcView.error);
    expect(body.rootException).toContain('record 500 is poisoned');
    expect(body.rootException).toMatch(/checkRecord .*throwing-job\.ts:\d+/);
    expect(body.subtasks.map((s) => s.vertexId)).toEqual(grpcView.vertices.flatMap((v) => v.subtasks.filter((s) => s.error).map(() => v.id)));
  });

  it('answers 404 for an unknown job, vertex or route and 400 naming the field of a bad body', async () => {
    const unknownJob = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/no-such-job`);
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.body.errors[0]).toContain('no job with id no-such-job');
    for (const [method, path] of [['GET', 'vertices/v'], ['GET', 'checkpoints'], ['GET', 'exceptions'], ['POST', 'stop']] as const) {
      const answer = await rest(`${cluster.restUrl}/jobs/no-such-job/${path}`, method, method === 'POST' ? { targetDirectory: work } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(404);
    }

    const jobId = (await rest<{ jobs: { jobId: string }[] }>(`${cluster.restUrl}/jobs`)).body.jobs[0]!.jobId;
    const unknownVertex = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/vertices/no-such-vertex`);
    expect(unknownVertex.status).toBe(404);
    expect(unknownVertex.body.errors[0]).toContain(`job ${jobId} has no vertex no-such-vertex`);
    const unknownCheckpoint = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/checkpoints/details/999999`);
    expect(unknownCheckpoint.status).toBe(404);
    expect(unknownCheckpoint.body.errors[0]).toContain(`job ${jobId} has no checkpoint 999999`);
    const badCheckpointId = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/checkpoints/details/latest`);
    expect(badCheckpointId.status).toBe(400);
    expect(badCheckpointId.body.errors[0]).toContain('params/cid');
    const unknownRoute = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobz`);
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.errors[0]).toContain('no route GET /jobz');

    const missing = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/savepoints`, 'POST', {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0]).toContain("must have required property 'target-directory'");
    const wrongType = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/stop`, 'POST', { targetDirectory: 5 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0]).toBe('body/targetDirectory must be string');
    const unknownField = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/stop`, 'POST', { targetDirectory: work, drain: true });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors[0]).toBe("body has an unknown field 'drain'");
    const notJson = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}/stop`, 'POST', '{not json');
    expect(notJson.status).toBe(400);
    const badMode = await rest<{ errors: string[] }>(`${cluster.restUrl}/jobs/${jobId}?mode=pause`, 'PATCH');
    expect(badMode.status).toBe(400);
    expect(badMode.body.errors[0]).toContain('mode');
  });

  it('refuses a REST port already in use, naming the port and the flag', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const coordinator = await weir(['coordinator', '--port', '0', '--rest-port', String(port), '--data-dir', join(work, 'blocked-coordinator')], { timeoutMs: 30_000 });
      expect(coordinator.code).not.toBe(0);
      expect(coordinator.stderr).toContain(`the REST port ${port} on 127.0.0.1 is already in use (--rest-port`);
    } finally {
      blocker.close();
    }
  });
});
