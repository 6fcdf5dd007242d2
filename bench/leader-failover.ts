// Leader failover: two `weir coordinator --etcd` processes (one leads), two
// `weir worker --etcd` processes, a real etcd, and exactly-once keyed counts
// (checkpoint every 500 ms, source capped at 20,000 events/s). SIGKILL the
// leader and measure the time until etcd names a new leader, until that
// leader serves clients, and until the job's committed output (part files
// the transactional sink renamed into place) grows again. After each kill a
// fresh coordinator joins as standby, so every run has one.
// Run: npx node bench/leader-failover.ts [--runs 3] [--ttls 5,2]
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterView } from '@weir/protocol';
import { createEtcdClient, EtcdKeys, readLeaderAddress } from '@weir/protocol/etcd';
import { WeirClient } from '@weir/client';
import { startHaCluster, type HaCluster, type HaMember } from '../test/helpers/etcd-cluster.ts';
import { TEST_TLS } from '../test/helpers/test-tls.ts';
import { machine } from './support/cluster.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, ttls: { type: 'string', default: '5,2' } } });
const runs = Number(values.runs);
const ttls = values.ttls!.split(',').map(Number);
const rows: string[] = [];

/** Bytes in committed part files (the sink's pending and in-progress files live in subdirectories). */
async function committedBytes(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    if (name.startsWith('part-')) total += (await stat(join(directory, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function measure(ttl: number): Promise<void> {
  const cluster: HaCluster = await startHaCluster({ coordinators: 2, workers: 2, slots: 4, leaseTtlSeconds: ttl });
  const etcd = createEtcdClient({ endpoints: [cluster.etcd.endpoint] });
  const keys = new EtcdKeys(cluster.clusterId);
  try {
    const output = join(cluster.dataDir, 'output');
    const submit = await cluster.run([
      'run', 'examples/exactly-once-counts.ts', '-d', '--json', '-p', '2',
      '--', '--events', '1000000000', '--keys', '1000', '--rate', '20000', '--checkpoint-interval', '500', '--output', output,
    ]);
    if (submit.code !== 0) throw new Error(submit.stderr);
    for (let run = 0; run < runs; run++) {
      // Steady state: the output has been growing for a while.
      const before = await committedBytes(output);
      await until(async () => ((await committedBytes(output)) > before ? true : undefined), 30_000, 'committed output', 100);
      await new Promise((r) => setTimeout(r, 3000));
      const old: HaMember = await cluster.leader();
      const view = await cluster.json<ClusterView>(['cluster']);
      const baseline = await committedBytes(output);
      const killedAt = performance.now();
      old.process.kill('SIGKILL');
      const [electedAt, newLeader] = await until(async () => {
        const address = await readLeaderAddress(etcd, keys).catch(() => undefined);
        return address && address !== old.address ? ([performance.now(), address] as const) : undefined;
      }, 60_000, 'a new leader');
      const client = new WeirClient(newLeader, { failoverWaitMs: 0, transport: { caFile: TEST_TLS.caFile } });
      const servingAt = await until(async () => ((await client.cluster().catch(() => undefined))?.address === newLeader ? performance.now() : undefined), 60_000, 'the new leader to serve');
      client.close();
      const advancedAt = await until(async () => ((await committedBytes(output)) > baseline ? performance.now() : undefined), 60_000, 'committed output to grow again', 25);
      const s = (t: number): string => `${((t - killedAt) / 1000).toFixed(2)} s`;
      rows.push(`| ${ttl} s | ${run + 1} | ${s(electedAt)} | ${s(servingAt)} | ${s(advancedAt)} |`);
      process.stderr.write(`TTL ${ttl} s, run ${run + 1} (epoch ${view.leadership?.epoch}): new leader after ${s(electedAt)}, serving after ${s(servingAt)}, committed output growing after ${s(advancedAt)}\n`);
      await cluster.addCoordinator();
    }
  } finally {
    etcd.close();
    await cluster.stop();
  }
}

for (const ttl of ttls) await measure(ttl);
process.stdout.write(
  [
    `leader failover (exactly-once-counts, 1,000 keys, p=2 on 2 workers, checkpoints every 500 ms, 20,000 events/s; 2 coordinators) on ${machine()}`,
    '',
    '| lease TTL | run | SIGKILL -> new leader in etcd | -> new leader serves clients | -> committed output grows |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
