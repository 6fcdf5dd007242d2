// High availability end to end, against a real etcd: `weir coordinator --etcd`
// processes elect a leader (the others stand by and name it), `weir worker
// --etcd` processes follow it, and a job of examples/exactly-once-counts.ts
// keeps exactly-once output through a SIGKILLed leader, a frozen etcd and a
// frozen (then deposed) leader whose orders the workers refuse, as they
// refuse orders forged with an epoch no leader has.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { grpc, taskExecutorClient, unaryCall, useInternalTransport, type ClusterView } from '@weir/protocol';
import { TEST_TLS } from './helpers/test-tls.ts';
import { EtcdLeadership, EtcdMetadataStore, NotLeaderError, type LeaderFence } from '@weir/coordinator';
import { createEtcdClient, EtcdKeys } from '@weir/protocol/etcd';
import { type JobGraph } from '@weir/common';
import { createLogger } from '@weir/protocol';
import { expectedCounts, startHaCluster, type HaCluster, type HaMember } from './helpers/etcd-cluster.ts';
import { eventually } from './helpers/local-cluster.ts';
import { haClusterLifecycle, nextLeader as haNextLeader, runningWithCheckpoint as haRunningWithCheckpoint, submitCounts } from './helpers/ha-jobs.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { weir } from './helpers/weir-cli.ts';

const TTL_SECONDS = 2;
let cluster: HaCluster;
let work: string;

beforeAll(async () => {
  cluster = await startHaCluster({ coordinators: 3, workers: 2, slots: 4, leaseTtlSeconds: TTL_SECONDS });
  work = await mkdtemp(join(tmpdir(), 'weir-etcd-failover-'));
});

haClusterLifecycle(() => cluster, () => work);

function report(line: string): void {
  process.stdout.write(`[etcd failover e2e] ${line}\n`);
}

const nextLeader = (old: HaMember, timeoutMs: number): Promise<{ leader: HaMember; at: number }> => haNextLeader(cluster, old, timeoutMs);
const submit = (output: string, events: number, keys: number, rate: number): Promise<string> => submitCounts(cluster, output, events, keys, rate);
const runningWithCheckpoint = (jobId: string): Promise<void> => haRunningWithCheckpoint(cluster, jobId);

describe('coordinators with etcd', () => {
  it('three coordinators: one leads, standbys name it (the CLI follows from any of them), weir cluster shows leader, standbys and workers', async () => {
    const leader = await cluster.leader();
    const standbys = cluster.coordinators.filter((c) => c !== leader);
    // A client pointed at a standby (no etcd) is sent to the leader.
    const viaStandby = await weir(['cluster', '--json', '--coordinator', standbys[0]!.address]);
    expect(viaStandby.code, viaStandby.stderr).toBe(0);
    const view = JSON.parse(viaStandby.stdout) as ClusterView;
    expect(view.address).toBe(leader.address);
    expect(view.leadership?.leader.address).toBe(leader.address);
    expect(view.leadership?.standbys.map((s) => s.address).sort()).toEqual(standbys.map((s) => s.address).sort());
    expect(Number(view.leadership?.epoch)).toBeGreaterThan(0);
    expect(view.workers.map((w) => w.workerId).sort()).toEqual(['ha-worker-0', 'ha-worker-1']);
    for (const w of view.workers) {
      expect(w.slots).toBe(4);
      expect(w.connected).toBe(true);
      expect(Date.now() - w.lastHeartbeatMs).toBeLessThan(5_000);
    }
    // The text view names the leader and the standbys.
    const text = await weir(['cluster', '--coordinator', standbys[1]!.address]);
    expect(text.stdout).toContain(`leader   ${leader.address}`);
    for (const s of standbys) expect(text.stdout).toContain(`standby  ${s.address}`);
    // A standby refuses to act as leader, naming the leader, when asked directly without following.
    const listed = await weir(['list', '--json', '--coordinator', standbys[0]!.address]);
    expect(listed.code, listed.stderr).toBe(0);
  });

  it('SIGKILL of the leader while exactly-once-counts runs: a standby leads within TTL + 2 s and the job ends with each count committed exactly once', async () => {
    // 20 s of input: the job still runs when the leader is killed, also on a loaded machine.
    const events = 200_000;
    const keys = 10;
    const output = join(work, 'leader-killed');
    const jobId = await submit(output, events, keys, 10_000);
    await runningWithCheckpoint(jobId);
    const old = await cluster.leader();
    const epochBefore = Number((await cluster.cluster()).leadership!.epoch);
    // Two at least, so that one completed before the newest is expected to be listed by the next leader.
    const completedBefore = await eventually(async () => {
      const ids = (await cluster.completedCheckpoints(jobId)).map((c) => c.checkpointId);
      return ids.length >= 2 ? ids : undefined;
    }, 30_000, 'two checkpoints');
    const killedAt = performance.now();
    old.process.kill('SIGKILL');
    const { leader, at } = await nextLeader(old, (TTL_SECONDS + 5) * 1000);
    report(`3 coordinators, TTL ${TTL_SECONDS} s: new leader ${(at - killedAt).toFixed(0)} ms after SIGKILL of the leader`);
    expect(at - killedAt).toBeLessThan((TTL_SECONDS + 2) * 1000);
    const view = await cluster.cluster();
    expect(view.address).toBe(leader.address);
    expect(Number(view.leadership!.epoch)).toBeGreaterThan(epochBefore);
    const end = await cluster.waitForEnd(jobId);
    expect(end.status, end.error ?? '').toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
    // The new leader resumed the job (a later attempt), it did not start it over from nothing.
    expect(end.attempt).toBeGreaterThan(0);
    // It lists the checkpoints the old leader completed (the history is in etcd; the newest may have completed as it died).
    const completedAfter = (await cluster.completedCheckpoints(jobId)).map((c) => c.checkpointId);
    expect(completedAfter).toEqual(expect.arrayContaining(completedBefore.slice(0, -1)));
    // weir status names the leader that serves the job now.
    const text = await cluster.run(['status', jobId]);
    expect(text.stdout).toContain(`Leader ${leader.address} (epoch ${view.leadership!.epoch})`);
    // The leader recorded, in the attempt's assignment in etcd, which source splits each source subtask reads.
    const client = createEtcdClient({ endpoints: [cluster.etcd.endpoint] });
    try {
      const assignment = JSON.parse((await client.get(new EtcdKeys(cluster.clusterId).assignment(jobId)).string())!) as { attempt: number; splits?: Record<string, string[]> };
      expect(assignment.attempt).toBe(end.attempt);
      expect(assignment.splits).toEqual({ 'events#0': ['generator-0/2'], 'events#1': ['generator-1/2'] });
    } finally {
      client.close();
    }
  });

  it('two coordinators: SIGKILL of the leader, the last standby leads within TTL + 2 s; a new coordinator joins as standby', async () => {
    const old = await cluster.leader();
    expect(cluster.coordinators.filter((c) => c.alive())).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = performance.now();
    old.process.kill('SIGKILL');
    const { leader, at } = await nextLeader(old, (TTL_SECONDS + 5) * 1000);
    report(`2 coordinators, TTL ${TTL_SECONDS} s: new leader ${(at - killedAt).toFixed(0)} ms after SIGKILL of the leader`);
    expect(at - killedAt).toBeLessThan((TTL_SECONDS + 2) * 1000);
    expect((await cluster.leader()).address).toBe(leader.address);
    // Workers follow: both are connected to the new leader.
    await eventually(async () => {
      const view = await cluster.cluster().catch(() => undefined);
      return view && view.workers.filter((w) => w.connected).length === 2 ? true : undefined;
    }, 10_000, 'both workers to register with the new leader');
    const joined = await cluster.addCoordinator();
    await eventually(async () => {
      const view = await cluster.cluster().catch(() => undefined);
      return view?.leadership?.standbys.some((s) => s.address === joined.address) ? true : undefined;
    }, 10_000, 'the new coordinator to stand by');
  });

  it('etcd frozen (SIGSTOP) for 4 s while the job runs: the leader steps down, workers keep running, everything reconverges and the output is exactly once', async () => {
    const events = 100_000;
    const keys = 10;
    const output = join(work, 'etcd-frozen');
    const jobId = await submit(output, events, keys, 10_000);
    await runningWithCheckpoint(jobId);
    const leader = await cluster.leader();
    const stepDownsBefore = countLines(leader.log(), 'standing by: jobs left to the next leader');
    await cluster.etcd.pause();
    await new Promise((r) => setTimeout(r, 4_000));
    // Without etcd no coordinator may act as leader: the leader stepped down on its own.
    expect(countLines(leader.log(), 'standing by: jobs left to the next leader')).toBeGreaterThan(stepDownsBefore);
    // The workers kept their processes (and tasks): they did not exit.
    for (const w of cluster.workers) expect(w.alive()).toBe(true);
    const resumedAt = performance.now();
    await cluster.etcd.resume();
    await cluster.leader(15_000);
    report(`etcd frozen 4 s (TTL ${TTL_SECONDS} s): a leader serves again ${(performance.now() - resumedAt).toFixed(0)} ms after SIGCONT`);
    const end = await cluster.waitForEnd(jobId);
    expect(end.status, end.error ?? '').toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  });

  it('a frozen leader is replaced; when it wakes up its writes and orders are refused, and the job still ends exactly once', async () => {
    const events = 100_000;
    const keys = 10;
    const output = join(work, 'leader-frozen');
    const jobId = await submit(output, events, keys, 10_000);
    await runningWithCheckpoint(jobId);
    const old = await cluster.leader();
    const oldEpoch = Number((await cluster.cluster()).leadership!.epoch);
    old.process.kill('SIGSTOP');
    let next: { leader: HaMember; at: number };
    try {
      next = await nextLeader(old, (TTL_SECONDS + 5) * 1000);
      await eventually(async () => ((await cluster.cluster().catch(() => undefined))?.address === next.leader.address ? true : undefined), 10_000, 'the new leader to serve');
    } finally {
      old.process.kill('SIGCONT');
    }
    // The old leader wakes up believing nothing; it must notice it lost and stand by, not act.
    await eventually(async () => (countLines(old.log(), 'standing by: jobs left to the next leader') > 0 ? true : undefined), 10_000, 'the woken leader to stand by');
    const view = await cluster.cluster();
    expect(view.address).toBe(next.leader.address);
    const newEpoch = Number(view.leadership!.epoch);
    expect(newEpoch).toBeGreaterThan(oldEpoch);
    // Every worker refuses orders of the old epoch (above all NotifyCheckpointComplete), and takes the new leader's.
    // The test calls the workers as a member of the cluster (the members' certificate).
    useInternalTransport({ kind: 'mtls', files: TEST_TLS });
    for (const worker of view.workers) {
      const client = taskExecutorClient(worker.address);
      try {
        const refused = await unaryCall(client, 'notifyCheckpointComplete', { jobId, attempt: 0, checkpointId: 1, leaderEpoch: oldEpoch }).then(
          () => undefined,
          (error: grpc.ServiceError) => error,
        );
        expect(refused?.code).toBe(grpc.status.FAILED_PRECONDITION);
        expect(refused?.details).toContain(`from leader epoch ${oldEpoch}`);
        await unaryCall(client, 'notifyCheckpointComplete', { jobId: 'no-such-job', attempt: 0, checkpointId: 1, leaderEpoch: newEpoch });
        // A forged order from an epoch no leader has (it would fence the real leader out): refused, and the real leader's orders still pass.
        const forged = await unaryCall(client, 'cancelTasks', { jobId: 'no-such-job', attempt: 0, leaderEpoch: newEpoch + 1_000_000 }).then(
          () => undefined,
          (error: grpc.ServiceError) => error,
        );
        expect(forged?.code).toBe(grpc.status.FAILED_PRECONDITION);
        expect(forged?.details).toContain(`the leader in etcd has epoch ${newEpoch} (a stale or forged order)`);
        await unaryCall(client, 'notifyCheckpointComplete', { jobId: 'no-such-job', attempt: 0, checkpointId: 1, leaderEpoch: newEpoch });
      } finally {
        client.close();
      }
    }
    const end = await cluster.waitForEnd(jobId);
    expect(end.status, end.error ?? '').toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
    // The old coordinator serves clients only by naming the new leader.
    const viaOld = await weir(['cluster', '--json', '--coordinator', old.address]);
    expect((JSON.parse(viaOld.stdout) as ClusterView).address).toBe(next.leader.address);
  });
});

describe('terms', () => {
  it('workers watch the assignments in etcd: a newer attempt assigned there stops the older attempt at once, and the output stays exactly once', async () => {
    const events = 60_000;
    const keys = 6;
    const output = join(work, 'assignment-watch');
    const jobId = await submit(output, events, keys, 10_000);
    await runningWithCheckpoint(jobId);
    // What a newer leader writes before it deploys a new attempt (written here directly, without the leader's fence).
    const client = createEtcdClient({ endpoints: [cluster.etcd.endpoint] });
    const keysOf = new EtcdKeys(cluster.clusterId);
    try {
      const current = JSON.parse((await client.get(keysOf.assignment(jobId)).string())!) as { attempt: number };
      await client.put(keysOf.assignment(jobId)).value(JSON.stringify({ ...current, attempt: current.attempt + 1 }));
    } finally {
      client.close();
    }
    await eventually(
      async () => (cluster.workers.some((w) => countLines(w.log(), 'etcd assigns a newer attempt of this job') > 0) ? true : undefined),
      10_000,
      'a worker to cancel the replaced attempt',
    );
    const end = await cluster.waitForEnd(jobId);
    expect(end.status, end.error ?? '').toBe('FINISHED');
    expect(end.restarts).toBeGreaterThanOrEqual(1);
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  });

  it("a term's writes are refused once it is over, even after the same coordinator leads again; etcd refuses a stale fence outright", async () => {
    const clusterId = `terms-${Date.now()}`;
    const logger = createLogger('terms-test');
    const a = new EtcdLeadership({ endpoints: [cluster.etcd.endpoint], clusterId, ttlSeconds: 2, logger });
    const b = new EtcdLeadership({ endpoints: [cluster.etcd.endpoint], clusterId, ttlSeconds: 2, logger });
    const fences: { a: LeaderFence[]; b: LeaderFence[] } = { a: [], b: [] };
    const handlers = (name: 'a' | 'b') => ({ elected: (fence: LeaderFence) => void fences[name].push(fence), deposed: () => undefined });
    const job = (status: 'RUNNING' | 'FINISHED') => ({ jobId: 'j1', name: 'j', graph: { vertices: [] } as unknown as JobGraph, args: [], submittedAtMs: 1, status, endTimeMs: null, restoreFromDirectory: null });
    try {
      a.start('a.test:1', handlers('a'));
      await eventually(async () => (fences.a.length === 1 ? true : undefined), 5_000, 'a to lead');
      b.start('b.test:1', handlers('b'));
      const firstTerm = a.storeFor(fences.a[0]!);
      await firstTerm.putJob(job('RUNNING'));
      // a resigns (b leads), then campaigns again and leads again after b resigns: a new term.
      a.recampaign('test');
      await eventually(async () => (fences.b.length === 1 ? true : undefined), 5_000, 'b to lead');
      await b.close();
      await eventually(async () => (fences.a.length === 2 ? true : undefined), 5_000, 'a to lead again');
      expect(BigInt(fences.a[1]!.createRevision)).toBeGreaterThan(BigInt(fences.b[0]!.createRevision));
      // A write left over from a's first term fails although a leads again.
      await expect(firstTerm.putJob(job('FINISHED'))).rejects.toBeInstanceOf(NotLeaderError);
      // etcd itself refuses a write guarded by a stale fence (a deposed leader that has not noticed yet).
      const client = createEtcdClient({ endpoints: [cluster.etcd.endpoint] });
      try {
        const stale = new EtcdMetadataStore({ client, keys: new EtcdKeys(clusterId), leader: { fence: () => fences.b[0]! } });
        await expect(stale.putJob(job('FINISHED'))).rejects.toThrow(/refused the write/);
        await expect(stale.putLatestCheckpoint('j1', { checkpointId: 99, directory: '/nowhere', completedAtMs: 1 })).rejects.toBeInstanceOf(NotLeaderError);
        const current = a.storeFor(fences.a[1]!);
        expect((await current.listJobs())[0]?.status).toBe('RUNNING');
        expect(await current.getLatestCheckpoint('j1')).toBeNull();
      } finally {
        client.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

function countLines(log: string, text: string): number {
  return log.split('\n').filter((l) => l.includes(text)).length;
}
