// Nexmark throughput: each query at parallelism 2 on a `weir local` with 2
// worker processes, checkpoints every 10 s, results discarded. After a
// warm-up, it measures source events per second over a window (or until the
// input ends) and the cores used: CPU time of the coordinator and worker
// processes (/proc/<pid>/stat utime + stime) over the same wall time
// (bench/support/weir-job.ts, which bench/flink/compare.ts shares).
// Events per second per core is Nexmark's figure of merit.
//
// The job is given --events (default 1e9, more than a window takes) and
// cancelled after the window. Queries are the Nexmark ones (reference.ts
// QUERIES) and their other forms (VARIANTS: q3-union, q8-union). With
// --runs N the whole list runs N times in turn (q3 q3-union q3 q3-union ...),
// so a machine whose load changes weighs on every query alike; the summary
// gives each query's median. --cpu-prof DIR writes V8 CPU profiles of the
// coordinator and workers (every thread: slot threads too) to DIR.
//
//   npx node bench/nexmark/run.ts [q0 q5 q3-union ...] [--state rocksdb,heap] [--events 1000000000]
//       [--seconds 30] [--warmup 5] [--checkpoint-interval 10000] [--runs 1] [--cpu-prof DIR]
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machine } from '../support/cluster.ts';
import { fmt } from '../support/measure-window.ts';
import { measureWeirJob } from '../support/weir-job.ts';
import { QUERIES, VARIANTS } from './reference.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string', default: 'rocksdb' },
    events: { type: 'string', default: '1000000000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'checkpoint-interval': { type: 'string', default: '10000' },
    runs: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
  },
});
const known: readonly string[] = [...QUERIES, ...Object.keys(VARIANTS)];
const queries = positionals.length > 0 ? positionals : [...QUERIES];
for (const q of queries) if (!known.includes(q)) throw new Error(`unknown query '${q}': choose from ${known.join(', ')}`);
const states = values.state.split(',');
for (const s of states) if (s !== 'rocksdb' && s !== 'heap') throw new Error(`--state takes rocksdb, heap or both (rocksdb,heap), got '${s}'`);
const events = Number(values.events);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a whole number >= 1, got '${values.runs}'`);
const profileDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });

/** Weir's own targets per core used, and Flink 1.13's published numbers per core (8 TMs, RocksDB; other hardware). */
const TARGET: Partial<Record<string, number>> = { q0: 200_000, q1: 200_000, q2: 200_000, q5: 30_000, q7: 20_000, q8: 150_000 };
const FLINK: Partial<Record<string, number>> = { q0: 155_000, q1: 158_000, q2: 175_000, q3: 152_000, q4: 34_000, q5: 22_000, q7: 12_000, q8: 146_000, q11: 40_000 };

const rows: string[] = [];
const perCore = new Map<string, number[]>();

for (let run = 1; run <= runs; run++) {
  for (const state of states) {
    for (const query of queries) {
      const args = ['--events', String(events), '--checkpoint-interval', values['checkpoint-interval'], '--state', state];
      const env = profileDir === undefined ? undefined : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}/${query}-${state}-${run}` };
      const m = await measureWeirJob(
        { job: `bench/nexmark/${query}.ts`, jobArgs: args, workers: 2, slots: 4, parallelism: 2, label: query, ...(env ? { env } : {}) },
        { warmup, seconds, events },
      );
      const query0 = VARIANTS[query] ?? query;
      const target = TARGET[query0];
      const verdict = target === undefined ? '-' : m.perCore >= target ? `${fmt(target)} met` : `${fmt(target)} NOT met`;
      rows.push(
        `| ${query} | ${state} | ${run} | ${fmt(m.events)} | ${m.seconds.toFixed(1)} | ${fmt(m.rate)} | ${m.cores.toFixed(2)} | ${fmt(m.perCore)} | ${verdict} | ${fmt(FLINK[query0] ?? 0)} | ${Math.round(m.maxRss)} |`,
      );
      const key = `${query} | ${state}`;
      perCore.set(key, [...(perCore.get(key) ?? []), m.perCore]);
      process.stderr.write(`${query} (${state}) run ${run}: ${fmt(m.rate)} events/s, ${m.cores.toFixed(2)} cores, ${fmt(m.perCore)} events/s per core\n`);
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const summary =
  runs === 1
    ? []
    : [
        `Median of ${runs} runs, in turn:`,
        '',
        '| query | state | events/s per core (median) | runs |',
        '|---|---|---|---|',
        ...[...perCore].map(([key, xs]) => `| ${key} | ${fmt(median(xs))} | ${xs.map(fmt).join(', ')} |`),
        '',
      ];

process.stdout.write(
  [
    `Nexmark (p=2, 2 worker processes, checkpoints every ${values['checkpoint-interval']} ms, results discarded; ${seconds} s window after ${warmup} s warm-up) on ${machine()}`,
    '',
    '| query | state | run | events measured | seconds | events/s | cores used | events/s per core | target per core | Flink 1.13 per core | max worker RSS (MiB) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...summary,
  ].join('\n'),
);
