// What the HA tests do with a cluster of coordinators on etcd: wait for the
// next leader as etcd names it, submit examples/exactly-once-counts.ts, and
// wait for a job to run with a completed checkpoint before hurting anything;
// logs on failure and clean-up after the file.
import { rm } from 'node:fs/promises';
import { afterAll, beforeEach } from 'vitest';
import { createEtcdClient, EtcdKeys, readLeaderAddress } from '@weir/protocol/etcd';
import type { HaCluster, HaMember } from './etcd-cluster.ts';
import { eventually } from './local-cluster.ts';

/** Polls etcd directly (every 25 ms) until a living coordinator other than `old` is the published leader; resolves with it and when. */
export async function nextLeader(cluster: HaCluster, old: HaMember, timeoutMs: number): Promise<{ leader: HaMember; at: number }> {
  const client = createEtcdClient({ endpoints: [cluster.etcd.endpoint] });
  const keys = new EtcdKeys(cluster.clusterId);
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const address = await readLeaderAddress(client, keys).catch(() => undefined);
      const leader = cluster.coordinators.find((c) => c !== old && c.alive() && c.address === address);
      if (leader) return { leader, at: performance.now() };
      if (performance.now() > deadline) throw new Error(`no new leader within ${timeoutMs} ms (etcd names ${address ?? 'nobody'})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    client.close();
  }
}

/** Submits examples/exactly-once-counts.ts at parallelism 2 with checkpoints every 500 ms; resolves with the job id. */
export async function submitCounts(cluster: HaCluster, output: string, events: number, keys: number, rate: number): Promise<string> {
  const result = await cluster.run([
    'run', 'examples/exactly-once-counts.ts', '-d', '--json', '-p', '2',
    '--', '--events', String(events), '--keys', String(keys), '--rate', String(rate), '--checkpoint-interval', '500', '--output', output,
  ]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

/** Waits until the job runs and has completed a checkpoint (so a failover has something to resume from); fails if it already ended. */
export async function runningWithCheckpoint(cluster: HaCluster, jobId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => ((await cluster.completedCheckpoints(jobId).catch(() => [])).length > 0 ? true : undefined), timeoutMs, `job ${jobId} to complete a checkpoint`);
  const view = await cluster.status(jobId);
  if (view.status !== 'RUNNING') throw new Error(`job ${jobId} is ${view.status} before the failure was injected: the machine is too slow for this test's timing`);
}

/** For one test file: prints the tail of every member's log when a test fails; stops the cluster and removes `work` after the file. */
export function haClusterLifecycle(cluster: () => HaCluster | undefined, work: () => string | undefined): void {
  beforeEach((context) => {
    context.onTestFailed(() => {
      process.stderr.write(`--- HA cluster logs (tail) ---\n${cluster()?.logs() ?? ''}\n`);
    });
  });
  afterAll(async () => {
    await cluster()?.stop();
    const dir = work();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
}
