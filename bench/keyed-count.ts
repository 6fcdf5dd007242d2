// Throughput of generator -> map -> keyBy -> keyed count -> discard at
// parallelism 2, with ~100-byte events, in three layouts:
//   two-workers: 2 worker processes, half the records cross the network
//   one-worker:  1 worker process, records cross threads only
//   no-chaining: 2 worker processes, every operator a task of its own
//   two-workers-rocksdb: as two-workers, with keyed state in RocksDB (the default backend)
//   one-slot-each: 2 worker processes x 1 slot; the two vertices share the slots (slot sharing)
//   group-per-vertex: 2 worker processes x 2 slots, each vertex in a slot sharing group of
//     its own, so each subtask takes a slot (the layout before slot sharing)
// two-workers, one-slot-each and group-per-vertex run the same 4 threads, in 2 or 4 slots.
// The first three keep keyed state in the heap, to show the runtime's own cost.
// --time-accounting both runs each layout with the slot threads' busy/backpressured/idle
// accounting on and off (WEIR_TIME_ACCOUNTING=off), to measure what it costs.
// Run: npx node bench/keyed-count.ts [--seconds 20] [--layout two-workers[,one-slot-each,...]] [--time-accounting on|off|both]
import { parseArgs } from 'node:util';
import { BenchCluster, cpuSeconds, machine, rssMiB, weir } from './support/cluster.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, layout: { type: 'string' }, 'time-accounting': { type: 'string', default: 'on' } } });
const seconds = Number(values.seconds);
const accounting = values['time-accounting'] === 'both' ? ['on', 'off'] : [values['time-accounting']!];
if (accounting.some((a) => a !== 'on' && a !== 'off')) throw new Error(`--time-accounting takes on, off or both, got '${values['time-accounting']}'`);

interface Layout {
  name: string;
  workers: number;
  slots: number;
  jobArgs: string[];
}
const layouts: Layout[] = [
  { name: 'two-workers', workers: 2, slots: 2, jobArgs: ['--state', 'heap'] },
  { name: 'one-worker', workers: 1, slots: 4, jobArgs: ['--state', 'heap'] },
  { name: 'no-chaining', workers: 2, slots: 4, jobArgs: ['--no-chaining', '--state', 'heap'] },
  { name: 'two-workers-rocksdb', workers: 2, slots: 2, jobArgs: ['--state', 'rocksdb'] },
  { name: 'one-slot-each', workers: 2, slots: 1, jobArgs: ['--state', 'heap'] },
  { name: 'group-per-vertex', workers: 2, slots: 2, jobArgs: ['--group-per-vertex', '--state', 'heap'] },
].filter((l) => !values.layout || values.layout.split(',').includes(l.name));
const runs = layouts.flatMap((layout) => accounting.map((timeAccounting) => ({ layout, timeAccounting })));

const rows: string[] = [];
for (const { layout, timeAccounting } of runs) {
  const cluster = new BenchCluster();
  await cluster.start(layout.workers, layout.slots, timeAccounting === 'off' ? { env: { WEIR_TIME_ACCOUNTING: 'off' } } : {});
  try {
    const jobId = await cluster.submit(['bench/jobs/keyed-count.ts', '-p', '2'], layout.jobArgs);
    const pids = [cluster.coordinatorPid, ...(await cluster.workerPids())];
    const produced = (): Promise<number> => cluster.produced(jobId);
    // Warm up, then measure a steady window.
    await new Promise((r) => setTimeout(r, 5000));
    const n0 = await produced();
    const cpu0 = await Promise.all(pids.map(cpuSeconds));
    const t0 = performance.now();
    let maxRss = 0;
    while (performance.now() - t0 < seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      for (const pid of pids.slice(1)) maxRss = Math.max(maxRss, await rssMiB(pid));
    }
    const n1 = await produced();
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = await Promise.all(pids.map(cpuSeconds));
    const cores = cpu1.reduce((s, c, i) => s + c - cpu0[i]!, 0) / elapsed;
    const rate = (n1 - n0) / elapsed;
    rows.push(
      `| ${layout.name} | ${timeAccounting} | ${layout.workers} | ${Math.round(rate).toLocaleString('en-US')} | ${cores.toFixed(2)} | ${Math.round(rate / cores).toLocaleString('en-US')} | ${Math.round(maxRss)} |`,
    );
    process.stderr.write(`${layout.name} (time accounting ${timeAccounting}): ${Math.round(rate)} events/s, ${cores.toFixed(2)} cores, max worker RSS ${Math.round(maxRss)} MiB\n`);
    await weir(['cancel', jobId, '--coordinator', cluster.address]);
  } finally {
    await cluster.stop();
  }
}

process.stdout.write(
  [
    `keyed-count benchmark (p=2, ~100-byte events, ${seconds} s window after 5 s warm-up) on ${machine()}`,
    '',
    '| layout | time accounting | worker processes | events/s | cores used | events/s per core | max worker RSS (MiB) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
