// Standalone cost of the RocksDB keyed-state backend: keys cycle over --keys,
// batches of 512 keys are prefetched, incremented and flushed like a keyed
// count; prints events/s, then the cost of an incremental and a full snapshot.
// Run: npx node bench/support/rocksdb-backend-micro.ts [--keys 500000] [--events 2000000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RocksDBKeyedStateBackend } from '../../packages/worker/src/state-backends/rocksdb-keyed-state-backend.ts';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '500000' }, events: { type: 'string', default: '2000000' } } });
const keys = Number(values.keys);
const events = Number(values.events);
const root = await mkdtemp(join(tmpdir(), 'weir-rocks-micro-'));
const backend = await RocksDBKeyedStateBackend.open({ directory: join(root, 'db'), keyGroupRange: { start: 0, end: 63 }, maxParallelism: 128, stagingDirectory: join(root, 'staging') });
const table = backend.table('value/count');
const batch: string[] = new Array<string>(512);
let i = 0;
const run = async (n: number): Promise<number> => {
  const started = performance.now();
  const end = i + n;
  while (i < end) {
    for (let j = 0; j < 512; j++) batch[j] = `key-${(i + j) % keys}`;
    i += 512;
    await backend.prefetch(batch);
    for (const key of batch) table.set(key, ((table.get(key) as number | undefined) ?? 0) + 1);
    if (backend.dirtyCount() >= 20_000) await backend.flush();
  }
  await backend.flush();
  return n / ((performance.now() - started) / 1000);
};
process.stdout.write(`fill ${keys} keys: ${Math.round(await run(keys))} events/s\n`);
process.stdout.write(`steady: ${Math.round(await run(events))} events/s\n`);
for (const kind of ['incremental', 'full'] as const) {
  await run(keys / 2);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const snapshot = await backend.snapshot();
  const sync = performance.now() - started;
  if (kind === 'incremental') {
    const { handles, writtenBytes } = await snapshot.writeIncremental!(join(root, `chk-${kind}`), 'keyed');
    process.stdout.write(`incremental snapshot: sync ${sync.toFixed(0)} ms, total ${(performance.now() - started).toFixed(0)} ms (${((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000).toFixed(0)} ms CPU), ${handles.length} files, ${writtenBytes} bytes written\n`);
  } else {
    const handle = await snapshot.write(join(root, `chk-${kind}`), 'keyed.state');
    process.stdout.write(`full snapshot: ${(performance.now() - started).toFixed(0)} ms (${((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000).toFixed(0)} ms CPU), ${handle.entries} entries, ${handle.bytes} bytes\n`);
  }
  snapshot.release();
  const materializing = performance.now();
  const materializeCpu = process.cpuUsage();
  await backend.materialized();
  const used = process.cpuUsage(materializeCpu);
  process.stdout.write(`materialization after it: ${(performance.now() - materializing).toFixed(0)} ms (${((used.user + used.system) / 1000).toFixed(0)} ms CPU)\n`);
}
await backend.close();
if (!process.env.KEEP) await rm(root, { recursive: true, force: true });
else process.stdout.write(`kept ${root}\n`);
