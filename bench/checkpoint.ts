// Checkpoint cost with large keyed state: generator -> keyBy -> count
// (RocksDB ValueState) -> discard at parallelism 2 on 2 worker processes,
// with --keys distinct keys (default 1,000,000). After every key exists,
// measures each checkpoint's duration and size and the throughput while it
// runs against the throughput in the seconds before it.
// Run: npx node bench/checkpoint.ts [--keys 1000000] [--interval-ms 15000] [--checkpoints 2] [--state rocksdb|heap]
import { parseArgs } from 'node:util';
import type { CheckpointView } from '@weir/protocol';
import { BenchCluster, machine, weir } from './support/cluster.ts';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    'interval-ms': { type: 'string', default: '15000' },
    checkpoints: { type: 'string', default: '2' },
    state: { type: 'string', default: 'rocksdb' },
  },
});
const keys = Number(values.keys);
const intervalMs = Number(values['interval-ms']);
const wanted = Number(values.checkpoints);

const cluster = new BenchCluster();
await cluster.start(2, 2);
try {
  const submit = await weir(['run', 'bench/jobs/keyed-count.ts', '-p', '2', '-d', '--json', '--checkpoint-interval', String(intervalMs), '--coordinator', cluster.address, '--', '--keys', String(keys), '--state', values.state!]);
  if (submit.code !== 0) throw new Error(submit.stderr);
  const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
  const samples: { t: number; n: number }[] = [];
  const counted = async (): Promise<number> => {
    const view = await cluster.status(jobId);
    if (view.status !== 'RUNNING') throw new Error(`job is ${view.status}: ${view.error}`);
    return view.vertices.at(-1)!.subtasks.reduce((n, s) => n + s.recordsIn, 0);
  };
  /** Events/s between the last sample at or before `from` and the first at or after `to`. */
  const rateBetween = (from: number, to: number): number => {
    const start = samples.filter((s) => s.t <= from).at(-1);
    const end = samples.find((s) => s.t >= to);
    if (!start || !end || end.t <= start.t) return NaN;
    return (end.n - start.n) / ((end.t - start.t) / 1000);
  };
  let filledAt = 0;
  const rows: string[] = [];
  const seen = new Set<number>();
  // Filling 10M keys takes minutes at RocksDB rates.
  const deadline = Date.now() + 15 * 60_000 + (keys / 20_000) * 1000;
  while (rows.length < wanted && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const n = await counted();
    samples.push({ t: Date.now(), n });
    if (!filledAt && n >= keys) {
      filledAt = Date.now();
      process.stderr.write(`all ${keys} keys have state after ${n} events\n`);
    }
    const views = JSON.parse((await weir(['checkpoints', jobId, '--json', '--coordinator', cluster.address])).stdout) as CheckpointView[];
    for (const c of views) {
      if (c.status !== 'COMPLETED' || seen.has(c.checkpointId) || !filledAt || c.triggeredAtMs < filledAt) continue;
      const end = c.triggeredAtMs + c.durationMs!;
      if (samples.at(-1)!.t < end + 200) continue; // a sample after the checkpoint's end is needed
      seen.add(c.checkpointId);
      const before = rateBetween(c.triggeredAtMs - 4000, c.triggeredAtMs);
      const during = rateBetween(c.triggeredAtMs, end);
      rows.push(
        `| ${keys.toLocaleString('en-US')} | ${values.state} | ${c.checkpointId} | ${(c.durationMs! / 1000).toFixed(2)} s | ${Math.round(c.syncMsMax)} / ${Math.round(c.asyncMsMax)} ms | ${(c.bytes / 2 ** 20).toFixed(1)} MiB | ${(c.incrementalBytes / 2 ** 20).toFixed(1)} MiB | ${Math.round(before).toLocaleString('en-US')} | ${Math.round(during).toLocaleString('en-US')} | ${((during / before) * 100).toFixed(0)}% |`,
      );
      process.stderr.write(`checkpoint ${c.checkpointId}: ${c.durationMs} ms (sync ${Math.round(c.syncMsMax)}, async ${Math.round(c.asyncMsMax)}), ${c.bytes} bytes (${c.incrementalBytes} written), ${Math.round(before)} -> ${Math.round(during)} events/s\n`);
    }
  }
  await weir(['cancel', jobId, '--coordinator', cluster.address]);
  process.stdout.write(
    [
      `checkpoint benchmark (p=2 on 2 workers, interval ${intervalMs} ms) on ${machine()}`,
      '',
      '| keys | backend | checkpoint | duration | sync / async (max) | size | written | events/s before | events/s during | during/before |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stop();
}
