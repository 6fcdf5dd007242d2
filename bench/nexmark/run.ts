// Nexmark throughput: each query at parallelism 2 on a `weir local` with 2
// worker processes, checkpoints every 10 s, results discarded. After a
// warm-up, it measures source events per second over a window (or until the
// input ends) and the cores used: CPU time of the coordinator and worker
// processes (/proc/<pid>/stat utime + stime) over the same wall time.
// Events per second per core is Nexmark's figure of merit.
//
// The job is given --events (default 1e9, more than a window takes) and
// cancelled after the window. Status comes from an in-process gRPC client
// (a `weir status` process per poll would take CPU from the cluster).
//
//   npx node bench/nexmark/run.ts [q0 q5 ...] [--state rocksdb,heap] [--events 1000000000]
//       [--seconds 30] [--warmup 5] [--checkpoint-interval 10000]
import { parseArgs } from 'node:util';
import type { JobStatusView } from '@weir/protocol';
import { WeirClient } from '@weir/client';
import { BenchCluster, cpuSeconds, machine, rssMiB, weir } from '../support/cluster.ts';
import { QUERIES, type QueryName } from './reference.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string', default: 'rocksdb' },
    events: { type: 'string', default: '1000000000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'checkpoint-interval': { type: 'string', default: '10000' },
  },
});
const queries = positionals.length > 0 ? positionals : [...QUERIES];
for (const q of queries) if (!QUERIES.includes(q as QueryName)) throw new Error(`unknown query '${q}': choose from ${QUERIES.join(', ')}`);
const states = values.state.split(',');
for (const s of states) if (s !== 'rocksdb' && s !== 'heap') throw new Error(`--state takes rocksdb, heap or both (rocksdb,heap), got '${s}'`);
const events = Number(values.events);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);

/** Targets per core used (issue #5) and Flink 1.13's published numbers per core (8 TMs, RocksDB). */
const TARGET: Partial<Record<string, number>> = { q0: 200_000, q1: 200_000, q2: 200_000, q5: 30_000, q7: 20_000, q8: 150_000 };
const FLINK: Partial<Record<string, number>> = { q0: 155_000, q1: 158_000, q2: 175_000, q3: 152_000, q4: 34_000, q5: 22_000, q7: 12_000, q8: 146_000, q11: 40_000 };

/** Events the generator splits have emitted: split k of p at next index n has emitted (n - k) / p. */
function emitted(view: JobStatusView): number {
  let total = 0;
  for (const subtask of view.vertices[0]!.subtasks) {
    for (const split of subtask.splits ?? []) {
      const m = /generator-(\d+)\/(\d+)$/.exec(split.id);
      if (!m || split.position === undefined) continue;
      total += (Number(split.position) - Number(m[1])) / Number(m[2]);
    }
  }
  return total;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const rows: string[] = [];

for (const state of states) {
  for (const query of queries) {
    const cluster = new BenchCluster();
    await cluster.start(2, 4);
    try {
      const args = ['--events', String(events), '--checkpoint-interval', values['checkpoint-interval'], '--state', state];
      const submit = await weir(['run', `bench/nexmark/${query}.ts`, '-p', '2', '-d', '--json', '--coordinator', cluster.address, '--', ...args]);
      if (submit.code !== 0) throw new Error(`${query}: weir run failed: ${submit.stderr}`);
      const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
      const pids = [cluster.coordinatorPid, ...(await cluster.workerPids())];
      const client = new WeirClient(cluster.address);
      const sample = async (): Promise<{ n: number; t: number; cpu: number; done: boolean }> => {
        const view = await client.status(jobId);
        if (['FAILED', 'CANCELED'].includes(view.status) || view.restarts > 0) throw new Error(`${query}: job is ${view.status} after ${view.restarts} restarts: ${view.error}`);
        const n = emitted(view);
        const cpu = (await Promise.all(pids.map(cpuSeconds))).reduce((s, c) => s + c, 0);
        return { n, t: performance.now(), cpu, done: view.status === 'FINISHED' || n >= events };
      };
      await new Promise((r) => setTimeout(r, warmup * 1000));
      const start = await sample();
      let end = start;
      let maxRss = 0;
      while (!end.done && end.t - start.t < seconds * 1000) {
        await new Promise((r) => setTimeout(r, 1000));
        for (const pid of pids.slice(1)) maxRss = Math.max(maxRss, await rssMiB(pid));
        end = await sample();
      }
      const elapsed = (end.t - start.t) / 1000;
      const rate = (end.n - start.n) / elapsed;
      const cores = (end.cpu - start.cpu) / elapsed;
      const perCore = rate / cores;
      const target = TARGET[query];
      const verdict = target === undefined ? '-' : perCore >= target ? `${fmt(target)} met` : `${fmt(target)} NOT met`;
      rows.push(
        `| ${query} | ${state} | ${fmt(end.n - start.n)} | ${elapsed.toFixed(1)} | ${fmt(rate)} | ${cores.toFixed(2)} | ${fmt(perCore)} | ${verdict} | ${fmt(FLINK[query] ?? 0)} | ${Math.round(maxRss)} |`,
      );
      process.stderr.write(`${query} (${state}): ${fmt(rate)} events/s, ${cores.toFixed(2)} cores, ${fmt(perCore)} events/s per core\n`);
      // Let the job end before the cluster stops (no warnings about lost workers).
      await client.cancel(jobId);
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
        if (['CANCELED', 'FAILED', 'FINISHED'].includes((await client.status(jobId)).status)) break;
      }
      client.close();
    } finally {
      await cluster.stop();
    }
  }
}

process.stdout.write(
  [
    `Nexmark (p=2, 2 worker processes, checkpoints every ${values['checkpoint-interval']} ms, results discarded; ${seconds} s window after ${warmup} s warm-up) on ${machine()}`,
    '',
    '| query | state | events measured | seconds | events/s | cores used | events/s per core | target per core | Flink 1.13 per core | max worker RSS (MiB) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);
