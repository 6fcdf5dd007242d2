// Checkpoints and savepoints on S3-compatible object storage (a real
// SeaweedFS on loopback): exactly-once output through a SIGKILLed worker
// with every checkpoint in the bucket, a savepoint to s3:// restored by a
// new job, and storage that cannot be used (wrong credentials, no server)
// reported by name without a crash loop.
import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientChannel } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { healthStatus } from './helpers/grpc-health.ts';
import { TEST_TLS } from './helpers/test-tls.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { startSeaweedFs, type SeaweedFsServer } from './helpers/seaweedfs-server.ts';

let s3: SeaweedFsServer;
let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  s3 = await startSeaweedFs();
  cluster = await startCluster({ workers: 2, slots: 4, checkpointDir: `s3://${s3.bucket}/checkpoints`, env: s3.env() });
  work = await mkdtemp(join(tmpdir(), 'weir-s3-'));
}, 120_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
  await s3?.stop();
});

function expectedCounts(events: number, keys: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  return expected;
}

async function submit(on: TestCluster, args: string[]): Promise<string> {
  const result = await on.run(['run', 'examples/exactly-once-counts.ts', '-d', '--json', ...args]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

describe('checkpoints on S3', () => {
  it('keeps every checkpoint in the bucket and commits each count exactly once through a SIGKILLed worker', async () => {
    const events = 120_000;
    const keys = 7;
    const output = join(work, 'killed-worker');
    const jobId = await submit(cluster, ['-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '10000', '--checkpoint-interval', '500', '--output', output]);
    const first = await eventually(async () => (await cluster.completedCheckpoints(jobId)).find((c) => c.bytes > 0), 60_000, 'a checkpoint with state');
    expect(first.path).toBe(`s3://${s3.bucket}/checkpoints/${jobId}/chk-${first.checkpointId}`);
    // The checkpoint is objects in the bucket: its metadata and the keyed-state files the metadata names.
    const keysOfFirst = await s3.keys(`checkpoints/${jobId}/chk-${first.checkpointId}/`);
    expect(keysOfFirst).toContain(`checkpoints/${jobId}/chk-${first.checkpointId}/_metadata`);
    expect(keysOfFirst.some((k) => /\/keyed-.*\.state$/.test(k)), keysOfFirst.join(', ')).toBe(true);

    const view = await cluster.status(jobId);
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[1]!.subtasks[0]!.workerId);
    expect(victim, 'a worker running the keyed subtask').toBeDefined();
    process.kill(victim!.pid, 'SIGKILL');

    const ended = await cluster.waitForEnd(jobId, 120_000);
    expect(ended.status).toBe('FINISHED');
    expect(ended.restarts).toBeGreaterThanOrEqual(1);
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
    // Retention deleted the old checkpoints' objects; the newest is there.
    const remaining = new Set((await s3.keys(`checkpoints/${jobId}/`)).map((k) => k.split('/')[2]!).filter((name) => name.startsWith('chk-')));
    const newest = (await cluster.completedCheckpoints(jobId)).at(-1)!;
    expect(remaining.has(`chk-${first.checkpointId}`), [...remaining].join(', ')).toBe(false);
    expect(remaining.has(`chk-${newest.checkpointId}`), [...remaining].join(', ')).toBe(true);
  }, 180_000);

  it('stops with a savepoint to s3:// and a new job restored from it continues exactly', async () => {
    const events = 60_000;
    const keys = 5;
    const firstOutput = join(work, 'sp-first');
    const jobId = await submit(cluster, ['-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '8000', '--checkpoint-interval', '500', '--output', firstOutput]);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 1 ? true : undefined), 60_000, 'a checkpoint');
    const stop = await cluster.run(['stop', jobId, '--savepoint-path', `s3://${s3.bucket}/savepoints`, '--json']);
    expect({ code: stop.code, stderr: stop.stderr }).toEqual({ code: 0, stderr: '' });
    const { path: savepoint, status } = JSON.parse(stop.stdout) as { path: string; status: string };
    expect(status).toBe('FINISHED');
    expect(savepoint).toMatch(new RegExp(`^s3://${s3.bucket}/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    const objects = await s3.keys(`${savepoint.slice(`s3://${s3.bucket}/`.length)}/`);
    expect(objects.some((k) => k.endsWith('/_metadata'))).toBe(true);
    const firstRecords = await readJsonLines<{ key: string; count: number }>(firstOutput);
    expect(firstRecords.length).toBeGreaterThan(0);
    expect(firstRecords.length).toBeLessThan(events);

    const output = join(work, 'sp-restored');
    const restored = await cluster.run(['run', 'examples/exactly-once-counts.ts', '-p', '2', '--from-savepoint', savepoint, '--', '--events', String(events), '--keys', String(keys), '--checkpoint-interval', '500', '--output', output]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const all = [...firstRecords, ...(await readJsonLines<{ key: string; count: number }>(output))];
    expect(checkExactCounts(all, expectedCounts(events, keys))).toEqual([]);
  }, 180_000);
});

describe('S3 storage that cannot be used', () => {
  async function unusable(env: Record<string, string>, expected: RegExp): Promise<void> {
    const broken = await startCluster({ workers: 1, slots: 2, checkpointDir: `s3://${s3.bucket}/broken`, env });
    try {
      const coordinatorPid = (await broken.pids())[0]!;
      // Not ready, saying why in its log: the endpoint, the bucket and the cause.
      await eventually(async () => ((await healthStatus(broken.address, '', 5_000, clientChannel({ caFile: TEST_TLS.caFile }, broken.address))) === 'NOT_SERVING' ? true : undefined), 30_000, 'NOT_SERVING');
      await eventually(async () => (broken.log().includes('the checkpoint storage cannot be used') ? true : undefined), 30_000, 'the log line');
      expect(broken.log()).toContain(`s3://${s3.bucket}/broken`);
      expect(broken.log()).toContain(env.WEIR_S3_ENDPOINT!);
      expect(broken.log()).toMatch(expected);
      // A job with checkpoints fails its attempts with the same reason, and ends FAILED naming it.
      const jobId = await submit(broken, ['-p', '1', '--', '--events', '1000', '--keys', '3', '--checkpoint-interval', '300', '--output', join(work, `broken-${Date.now()}`)]);
      const ended = await broken.waitForEnd(jobId, 120_000);
      expect(ended.status).toBe('FAILED');
      expect(ended.error).toContain(`s3://${s3.bucket}/broken/${jobId}`);
      expect(ended.error).toContain(env.WEIR_S3_ENDPOINT!);
      expect(ended.error).toMatch(expected);
      // Still the same coordinator process: no crash loop.
      expect((await broken.pids())[0]).toBe(coordinatorPid);
      expect(await healthStatus(broken.address, '', 5_000, clientChannel({ caFile: TEST_TLS.caFile }, broken.address))).toBe('NOT_SERVING');
    } finally {
      await broken.stop();
    }
  }

  it('wrong credentials: not ready with the reason, and a job fails naming endpoint and bucket', async () => {
    await unusable({ ...s3.env(), AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied/);
  }, 240_000);

  it('an unreachable endpoint: not ready with the reason, and a job fails naming endpoint and bucket', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const port = (server.address() as { port: number }).port;
        server.close(() => resolve(port));
      });
    });
    await unusable({ ...s3.env(), WEIR_S3_ENDPOINT: `http://127.0.0.1:${closed}` }, /ECONNREFUSED|unreachable/);
  }, 240_000);
});
