// High availability groundwork against a real etcd: leader election with
// short leases, failover after a leader dies (a SIGKILLed process, a client
// that just stops), guarded writes of a deposed leader, a frozen (SIGSTOP) and
// a restarted etcd, and the etcd metadata store.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobGraph } from '@weir/common';
import type { CheckpointView } from '@weir/protocol';
import { EtcdMetadataStore, LeaderElection, NotLeaderError, type LeaderFence } from '@weir/coordinator';
import { createEtcdClient, EtcdKeys, readLeaderAddress, type EtcdClient } from '@weir/protocol/etcd';
import type { StoredJob } from '../packages/coordinator/src/store/metadata-store.ts';
import { startEtcd, type EtcdServer } from './helpers/etcd-server.ts';

let etcd: EtcdServer;
let admin: EtcdClient;
/** Everything a test started, torn down after it. */
let cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  admin = createEtcdClient({ endpoints: [etcd.endpoint] });
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

afterAll(async () => {
  admin?.close();
  await etcd?.stop();
});

/** One coordinator's view of the election, with its events time-stamped. */
interface Contender {
  name: string;
  address: string;
  client: EtcdClient;
  election: LeaderElection;
  store: EtcdMetadataStore;
  electedAt: number[];
  deposedAt: number[];
  deposeReasons: string[];
}

/** A group of in-process contenders of one cluster; notes any moment two of them lead at once. */
class Group {
  readonly keys = new EtcdKeys(`test-${randomUUID().slice(0, 8)}`);
  readonly contenders: Contender[] = [];
  readonly overlaps: string[] = [];

  add(name: string, ttlSeconds: number): Contender {
    const client = createEtcdClient({ endpoints: [etcd.endpoint] });
    const address = `${name}.weir.test:7600`;
    const election = new LeaderElection({ client, keys: this.keys, address, ttlSeconds, retryDelayMs: 200 });
    const contender: Contender = {
      name,
      address,
      client,
      election,
      store: new EtcdMetadataStore({ client, keys: this.keys, leader: election }),
      electedAt: [],
      deposedAt: [],
      deposeReasons: [],
    };
    election.on('elected', () => {
      contender.electedAt.push(performance.now());
      const others = this.contenders.filter((c) => c !== contender && c.election.isLeader).map((c) => c.name);
      if (others.length > 0) this.overlaps.push(`${name} elected while ${others.join(', ')} led`);
    });
    election.on('deposed', (reason) => {
      contender.deposedAt.push(performance.now());
      contender.deposeReasons.push(reason);
    });
    this.contenders.push(contender);
    cleanups.push(async () => {
      await election.close();
      client.close();
    });
    return contender;
  }

  leaders(): Contender[] {
    return this.contenders.filter((c) => c.election.isLeader);
  }

  /** Waits until exactly one contender leads and every running one observed its address. */
  async oneLeader(timeoutMs: number, among = this.contenders): Promise<Contender> {
    const leader = await until(() => {
      const leading = this.leaders();
      if (leading.length !== 1) return undefined;
      return among.every((c) => c.election.leaderAddress() === leading[0]!.address) ? leading[0] : undefined;
    }, timeoutMs, 'exactly one leader that every contender sees');
    return leader;
  }
}

async function until<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function storedJob(jobId: string, submittedAtMs: number, status: StoredJob['status'] = 'RUNNING'): StoredJob {
  return { jobId, name: `job ${jobId}`, graph: { vertices: [] } as unknown as JobGraph, args: ['--x', '1'], submittedAtMs, status, endTimeMs: null, restoreFromDirectory: null };
}

function report(line: string): void {
  process.stdout.write(`[etcd e2e] ${line}\n`);
}

describe('leader election', () => {
  it('two contenders: one leads, the other sees its address; a resignation hands over at once', async () => {
    const group = new Group();
    const a = group.add('a', 5);
    const b = group.add('b', 5);
    a.election.start();
    b.election.start();
    const first = await group.oneLeader(5_000);
    const second = first === a ? b : a;
    expect(second.election.isLeader).toBe(false);
    expect(() => second.election.fence()).toThrow(NotLeaderError);
    expect(await readLeaderAddress(admin, group.keys)).toBe(first.address);

    const resignedAt = performance.now();
    await first.election.resign();
    expect(first.election.isLeader).toBe(false);
    expect(first.deposeReasons).toEqual(['resigned']);
    await until(() => (second.election.isLeader ? true : undefined), 3_000, 'the standby to lead');
    report(`clean handover after resign(): ${(second.electedAt[0]! - resignedAt).toFixed(0)} ms`);
    expect(second.electedAt[0]! - resignedAt).toBeLessThan(1_000);
    await until(() => (first.election.leaderAddress() === second.address ? true : undefined), 2_000, 'the resigned one to see the new leader');
    expect(group.overlaps).toEqual([]);
  });

  it('three contenders: exactly one leader at a time through successive resignations, all see its address', async () => {
    const group = new Group();
    const all = ['a', 'b', 'c'].map((name) => group.add(name, 5));
    for (const c of all) c.election.start();
    const seen: string[] = [];
    let remaining = all;
    while (remaining.length > 0) {
      const leader = await group.oneLeader(5_000, remaining);
      expect(group.leaders()).toHaveLength(1);
      seen.push(leader.name);
      await leader.election.resign();
      remaining = remaining.filter((c) => c !== leader);
    }
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
    expect(group.overlaps).toEqual([]);
  });

  describe('failover when the leader dies without resigning', () => {
    for (const ttlSeconds of [2, 5]) {
      it(`SIGKILL of the leader's process, TTL ${ttlSeconds} s: a standby leads within TTL + 2 s`, async () => {
        const group = new Group();
        const child = await startChildContender(group.keys, 'killed', ttlSeconds);
        const standby = group.add('standby', ttlSeconds);
        standby.election.start();
        await until(() => (standby.election.leaderAddress() === 'killed.weir.test:7600' ? true : undefined), 5_000, 'the standby to see the child lead');
        // Let the child's keep-alives run for a while, so the kill lands at an arbitrary point of their cycle.
        await new Promise((resolve) => setTimeout(resolve, 700));
        const killedAt = performance.now();
        child.kill('SIGKILL');
        await until(() => (standby.election.isLeader ? true : undefined), (ttlSeconds + 3) * 1000, 'the standby to lead');
        const failoverMs = standby.electedAt[0]! - killedAt;
        report(`failover after SIGKILL of the leader, TTL ${ttlSeconds} s: ${failoverMs.toFixed(0)} ms`);
        expect(failoverMs).toBeLessThan((ttlSeconds + 2) * 1000);
        expect(standby.election.leaderAddress()).toBe(standby.address);
      });
    }

    it('a leader whose etcd client is closed under it (new calls fail, no revoke), TTL 2 s: it stops leading before the standby starts', async () => {
      const group = new Group();
      const a = group.add('a', 2);
      a.election.start();
      await group.oneLeader(5_000);
      const b = group.add('b', 2);
      b.election.start();
      await until(() => (b.election.leaderAddress() === a.address ? true : undefined), 3_000, 'b to see a lead');
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stoppedAt = performance.now();
      a.client.close();
      await until(() => (b.election.isLeader ? true : undefined), 5_000, 'b to lead');
      const failoverMs = b.electedAt[0]! - stoppedAt;
      // grpc-js lets the open keep-alive stream outlive close(): the lease lives until the old leader steps down and drops it.
      report(`failover after the leader's client was closed, TTL 2 s: ${failoverMs.toFixed(0)} ms (the old leader stepped down after ${(a.deposedAt[0]! - stoppedAt).toFixed(0)} ms)`);
      // Step-down (<= TTL - 400 ms) + the lease's TTL from its last keep-alive + etcd's 500 ms expiry scan.
      expect(failoverMs).toBeLessThan(5_000);
      expect(a.deposedAt[0]!).toBeLessThan(b.electedAt[0]!);
      expect(group.overlaps).toEqual([]);
    });
  });

  it("a deposed leader's guarded writes are rejected with NotLeaderError and do not overwrite the new leader's", async () => {
    const group = new Group();
    const a = group.add('a', 5);
    a.election.start();
    await group.oneLeader(5_000);
    const b = group.add('b', 5);
    b.election.start();
    const staleFence: LeaderFence = a.election.fence();
    await a.store.putJob(storedJob('j1', 1));

    // a's lease ends behind its back (as if it froze past the TTL): b takes over.
    const leaseId = (await admin.get(staleFence.key).exec()).kvs[0]!.lease;
    await admin.leaseClient.leaseRevoke({ ID: leaseId });
    await until(() => (b.election.isLeader ? true : undefined), 5_000, 'b to lead');
    await b.store.putJob(storedJob('j1', 1, 'CANCELED'));

    // A store still holding a's fence, as a's would in the moment before it notices: etcd refuses.
    const stale = new EtcdMetadataStore({ client: a.client, keys: group.keys, leader: { fence: () => staleFence } });
    const failed = await stale.putJob(storedJob('j1', 1, 'RUNNING')).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(NotLeaderError);
    expect((failed as NotLeaderError).message).toContain('no longer the leader');
    expect((failed as NotLeaderError).retryable).toBe(false);
    await expect(stale.nextCheckpointId('j1')).rejects.toBeInstanceOf(NotLeaderError);
    await expect(stale.putLatestCheckpoint('j1', { checkpointId: 9, directory: '/x', completedAtMs: 1 })).rejects.toBeInstanceOf(NotLeaderError);
    // And a itself, once it noticed (it was told by its lease), refuses locally.
    await until(() => (a.deposedAt.length > 0 ? true : undefined), 3_000, 'a to notice');
    await expect(a.store.putJob(storedJob('j1', 1, 'FAILED'))).rejects.toBeInstanceOf(NotLeaderError);

    const jobs = await b.store.listJobs();
    expect(jobs.map((j) => [j.jobId, j.status])).toEqual([['j1', 'CANCELED']]);
    expect(await b.store.getLatestCheckpoint('j1')).toBeNull();
    // No overlap check here: a revoke from outside ends a's lease before a's own validity window
    // does, so b may be elected a few ms before a's watch on its key tells it. That is what the guard is for.
  });
});

describe('etcd metadata store', () => {
  it('round-trips jobs and keeps checkpoint ids monotonic across leaders', async () => {
    const group = new Group();
    const a = group.add('a', 5);
    a.election.start();
    await group.oneLeader(5_000);
    const b = group.add('b', 5);
    b.election.start();

    await a.store.putJob(storedJob('late', 2_000));
    await a.store.putJob(storedJob('early', 1_000));
    await a.store.putJob({ ...storedJob('late', 2_000, 'FINISHED'), endTimeMs: 3_000 });
    // A standby reads what the leader wrote.
    const jobs = await b.store.listJobs();
    expect(jobs.map((j) => j.jobId)).toEqual(['early', 'late']);
    expect(jobs[1]).toEqual({ ...storedJob('late', 2_000, 'FINISHED'), endTimeMs: 3_000 });

    expect([await a.store.nextCheckpointId('late'), await a.store.nextCheckpointId('late'), await a.store.nextCheckpointId('late')]).toEqual([1, 2, 3]);
    expect(await a.store.nextCheckpointId('late', 10)).toBe(10);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => a.store.nextCheckpointId('early')));
    expect([...concurrent].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await a.store.putLatestCheckpoint('late', { checkpointId: 10, directory: '/ckpt/late/chk-10', completedAtMs: 5 });
    const history: CheckpointView[] = [
      { checkpointId: 9, status: 'FAILED', savepoint: true, triggeredAtMs: 1, durationMs: 2, bytes: 0, incrementalBytes: 0, alignmentMsMax: 0, syncMsMax: 0, asyncMsMax: 0, path: null, failure: "EACCES: permission denied, mkdir '/sp/savepoint-late-0123456789ab'" },
      { checkpointId: 10, status: 'COMPLETED', savepoint: false, triggeredAtMs: 3, durationMs: 2, bytes: 7, incrementalBytes: 7, alignmentMsMax: 0, syncMsMax: 1, asyncMsMax: 1, path: '/ckpt/late/chk-10', failure: null },
    ];
    await a.store.putCheckpointHistory('late', history);

    await a.election.resign();
    await until(() => (b.election.isLeader ? true : undefined), 3_000, 'b to lead');
    expect(await b.store.nextCheckpointId('late')).toBe(11);
    expect(await b.store.getLatestCheckpoint('late')).toEqual({ checkpointId: 10, directory: '/ckpt/late/chk-10', completedAtMs: 5 });
    expect(await b.store.getLatestCheckpoint('early')).toBeNull();
    expect(await b.store.getCheckpointHistory('late')).toEqual(history);
    expect(await b.store.getCheckpointHistory('early')).toEqual([]);
    await expect(a.store.putCheckpointHistory('late', [])).rejects.toBeInstanceOf(NotLeaderError);
    await expect(a.store.nextCheckpointId('late')).rejects.toBeInstanceOf(NotLeaderError);
    expect(group.overlaps).toEqual([]);
  });

  it('rejects ids that would break the key layout', () => {
    const keys = new EtcdKeys('c1');
    expect(keys.job('j')).toBe('/weir/c1/jobs/j');
    expect(keys.worker('w')).toBe('/weir/c1/workers/w');
    expect(keys.assignment('j')).toBe('/weir/c1/assignments/j');
    expect(keys.checkpointCounter('j')).toBe('/weir/c1/checkpoints/j/counter');
    expect(keys.latestCheckpoint('j')).toBe('/weir/c1/checkpoints/j/latest');
    expect(keys.checkpointHistory('j')).toBe('/weir/c1/checkpoints/j/history');
    expect(keys.leaderCandidatesPrefix).toBe('/weir/c1/leader/election/coordinator/');
    expect(() => keys.job('a/b')).toThrow(/must not contain/);
    expect(() => new EtcdKeys('')).toThrow(/non-empty/);
  });
});

// These two hurt the shared etcd: they run last.
describe('etcd itself fails', () => {
  it('etcd frozen (SIGSTOP) past the TTL: the leader steps down; after SIGCONT a leader is elected and the store works', async () => {
    const group = new Group();
    const a = group.add('a', 2);
    a.election.start();
    const first = await group.oneLeader(5_000);
    const b = group.add('b', 2);
    b.election.start();
    await until(() => (b.election.leaderAddress() === first.address ? true : undefined), 3_000, 'b to see the leader');
    const oldFence = first.election.fence();
    await first.store.putJob(storedJob('survivor', 1));
    const idBefore = await first.store.nextCheckpointId('survivor');

    const pausedAt = performance.now();
    await etcd.pause();
    cleanups.push(() => etcd.resume());
    await until(() => (first.deposedAt.length > 0 ? true : undefined), 3_000, 'the leader to step down');
    const stepDownMs = first.deposedAt[0]! - pausedAt;
    expect(first.election.isLeader).toBe(false);
    expect(() => first.election.fence()).toThrow(NotLeaderError);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, pausedAt + 3_000 - performance.now())));
    const resumedAt = performance.now();
    await etcd.resume();

    const leader = await group.oneLeader(8_000);
    const reelectedMs = Math.max(...leader.electedAt) - resumedAt;
    report(`etcd frozen for 3 s with TTL 2 s: the leader stepped down ${stepDownMs.toFixed(0)} ms after the freeze; a leader (${leader.name}) was elected ${reelectedMs.toFixed(0)} ms after SIGCONT`);
    expect(stepDownMs).toBeLessThan(2_000);
    expect(leader.election.fence().createRevision).not.toBe(oldFence.createRevision);
    await leader.store.putJob(storedJob('after-freeze', 2));
    expect((await leader.store.listJobs()).map((j) => j.jobId)).toEqual(['survivor', 'after-freeze']);
    expect(await leader.store.nextCheckpointId('survivor')).toBe(idBefore + 1);
    const stale = new EtcdMetadataStore({ client: admin, keys: group.keys, leader: { fence: () => oldFence } });
    await expect(stale.putJob(storedJob('survivor', 1, 'FAILED'))).rejects.toBeInstanceOf(NotLeaderError);
    expect(group.overlaps).toEqual([]);
  });

  it('etcd SIGKILLed and restarted on the same data dir: records survive and a leader is elected again', async () => {
    const group = new Group();
    const a = group.add('a', 2);
    a.election.start();
    const first = await group.oneLeader(5_000);
    const oldFence = first.election.fence();
    await first.store.putJob(storedJob('durable', 1));
    expect(await first.store.nextCheckpointId('durable')).toBe(1);

    const killedAt = performance.now();
    await etcd.kill();
    await until(() => (first.deposedAt.length > 0 ? true : undefined), 3_000, 'the leader to step down');
    const stepDownMs = first.deposedAt[0]! - killedAt;
    await etcd.restart();
    const restartedAt = performance.now();
    // etcd extends every lease when it restarts; the old leader revokes its abandoned one as soon as etcd is back.
    await until(async () => ((await admin.get(oldFence.key).exec()).kvs.length === 0 ? true : undefined), 1_500, 'the abandoned leader key to be revoked');
    const leader = await group.oneLeader(8_000);
    report(`etcd SIGKILLed, restarted after ${(restartedAt - killedAt).toFixed(0)} ms, TTL 2 s: the leader stepped down ${stepDownMs.toFixed(0)} ms after the kill; re-elected ${(Math.max(...leader.electedAt) - restartedAt).toFixed(0)} ms after etcd was back`);
    expect((await leader.store.listJobs()).map((j) => j.jobId)).toEqual(['durable']);
    expect(await leader.store.nextCheckpointId('durable')).toBe(2);
  });
});

/** A contender in its own process, to be SIGKILLed. Resolves once it leads. */
async function startChildContender(keys: EtcdKeys, name: string, ttlSeconds: number): Promise<ChildProcess> {
  const coordinator = import.meta.resolve('@weir/coordinator');
  const etcdContract = import.meta.resolve('@weir/protocol/etcd');
  const script = `
    const { LeaderElection } = await import(${JSON.stringify(coordinator)});
    const { createEtcdClient, EtcdKeys } = await import(${JSON.stringify(etcdContract)});
    const [endpoint, clusterId, address, ttl] = process.argv.slice(1);
    const election = new LeaderElection({ client: createEtcdClient({ endpoints: [endpoint] }), keys: new EtcdKeys(clusterId), address, ttlSeconds: Number(ttl) });
    election.on('elected', () => process.stdout.write('elected\\n'));
    election.start();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, etcd.endpoint, keys.clusterId, `${name}.weir.test:7600`, String(ttlSeconds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const elected = new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('elected')) resolve();
    });
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`the child contender exited before leading:\n${output}`);
  });
  exited.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the child contender did not lead within 10 s:\n${output}`)), 10_000);
  });
  try {
    await Promise.race([elected, exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return child;
}
