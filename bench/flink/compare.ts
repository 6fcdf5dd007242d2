// Weir and Flink side by side: each query (Nexmark q0 ... q11 and
// keyed-count) on both, alternately, --runs times each, with the same job
// settings (parallelism 2, 2 worker processes / TaskManagers with the slots of
// Weir's own benchmarks, RocksDB keyed state, exactly-once checkpoints every
// --checkpoint-interval ms, results discarded).
//
// Throughput: events the sources emitted per second over a window after a
// warm-up, divided by the cores used: CPU time (user + system, /proc/<pid>/stat)
// of every process of the system over the same window, Weir's coordinator and
// workers, Flink's JVM (bench/support/measure-window.ts for both).
// Latency (queries whose rows carry their time): a second run per side with
// the source throttled to the event rate, rows in the first --warmup seconds
// of event time left out; see bench/nexmark/latency.ts.
//
//   npx node bench/flink/compare.ts [--runs 3] [--queries q0,q5,keyed-count] [--events N]
//       [--seconds 30] [--warmup 5] [--checkpoint-interval 10000] [--latency-seconds 60]
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_NEXMARK_CONFIG, eventTime } from '../nexmark/generator.ts';
import { readLatencies, TRIGGERS } from '../nexmark/latency.ts';
import { QUERIES } from '../nexmark/reference.ts';
import { machine } from '../support/cluster.ts';
import { fmt, type Measurement } from '../support/measure-window.ts';
import { measureWeirJob, runWeirJobToEnd, type WeirJobOptions } from '../support/weir-job.ts';
import { buildFlink, measureFlinkJob, runFlinkJobToEnd } from './flink-job.ts';

const ALL = [...QUERIES, 'keyed-count'];
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    queries: { type: 'string', default: ALL.join(',') },
    events: { type: 'string', default: '1000000000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'checkpoint-interval': { type: 'string', default: '10000' },
    'latency-seconds': { type: 'string', default: '60' },
  },
});
const queries = values.queries.split(',');
for (const q of queries) if (!ALL.includes(q)) throw new Error(`unknown query '${q}': choose from ${ALL.join(', ')}`);
const runs = Number(values.runs);
const events = Number(values.events);
const window = { warmup: Number(values.warmup), seconds: Number(values.seconds), events };
const checkpointInterval = values['checkpoint-interval'];
const latencySeconds = Number(values['latency-seconds']);
for (const [name, n] of [['--runs', runs], ['--events', events], ['--seconds', window.seconds]] as const) {
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a number > 0, got ${n}`);
}
if (!Number.isFinite(latencySeconds) || latencySeconds < 0) throw new Error(`--latency-seconds needs a number >= 0 (0 skips the latency runs), got ${latencySeconds}`);
/** The event rate of the generator; latency runs throttle the source to it, so event time runs at wall-clock speed. */
const EVENT_RATE = DEFAULT_NEXMARK_CONFIG.rate;

/** How each side runs a query: Weir's job file, arguments and cluster shape; Flink's Main arguments. */
function setup(query: string, count: number, extra: string[] = []): { weir: WeirJobOptions; flink: string[] } {
  const common = ['--events', String(count), '--checkpoint-interval', checkpointInterval, '--state', 'rocksdb', ...extra];
  if (query === 'keyed-count') {
    return {
      weir: { job: 'bench/jobs/keyed-count.ts', jobArgs: common, workers: 2, slots: 2, parallelism: 2, label: 'weir keyed-count' },
      flink: ['--query', 'keyed-count', ...common, '--slots', '2'],
    };
  }
  return {
    weir: { job: `bench/nexmark/${query}.ts`, jobArgs: common, workers: 2, slots: 4, parallelism: 2, label: `weir ${query}` },
    flink: ['--query', query, ...common, '--slots', '4'],
  };
}

interface Latency {
  count: number;
  p99: number;
}

/** One latency run of one side: `seconds` of events at the event rate, run to the end. */
async function latency(query: string, side: 'weir' | 'flink'): Promise<Latency> {
  const count = EVENT_RATE * latencySeconds;
  const dir = await mkdtemp(join(tmpdir(), `weir-latency-${side}-`));
  try {
    const s = setup(query, count, ['--rate', String(EVENT_RATE), '--latency-dir', dir]);
    const timeout = latencySeconds * 1000 + 180_000;
    if (side === 'weir') await runWeirJobToEnd(s.weir, timeout);
    else await runFlinkJobToEnd(s.flink, `flink ${query}`, timeout);
    return await readLatencies(dir, side, eventTime(0, DEFAULT_NEXMARK_CONFIG) + window.warmup * 1000, eventTime(count - 1, DEFAULT_NEXMARK_CONFIG));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Run {
  weir: Measurement;
  flink: Measurement;
  weirLatency?: Latency;
  flinkLatency?: Latency;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (l: Latency[]): string => (l.length === 0 ? '-' : `${fmt(median(l.map((x) => x.p99)))} (${fmt(median(l.map((x) => x.count)))} rows)`);

await buildFlink();
const summary: string[] = [];
const detail: string[] = [];
for (const query of queries) {
  const results: Run[] = [];
  for (let run = 1; run <= runs; run++) {
    const s = setup(query, events);
    const weir = await measureWeirJob(s.weir, window);
    process.stderr.write(`${query} run ${run}: Weir ${fmt(weir.rate)} events/s, ${weir.cores.toFixed(2)} cores, ${fmt(weir.perCore)} per core\n`);
    const flink = await measureFlinkJob(s.flink, `flink ${query}`, window);
    process.stderr.write(`${query} run ${run}: Flink ${fmt(flink.rate)} events/s, ${flink.cores.toFixed(2)} cores, ${fmt(flink.perCore)} per core\n`);
    const r: Run = { weir, flink };
    if (latencySeconds > 0 && TRIGGERS[query] !== undefined) {
      r.weirLatency = await latency(query, 'weir');
      r.flinkLatency = await latency(query, 'flink');
      process.stderr.write(`${query} run ${run}: p99 latency Weir ${fmt(r.weirLatency.p99)} ms, Flink ${fmt(r.flinkLatency.p99)} ms\n`);
    }
    results.push(r);
    const lat = (l: Latency | undefined): string => (l === undefined ? '-' : `${fmt(l.p99)} / ${l.count}`);
    detail.push(
      `| ${query} | ${run} | ${fmt(weir.rate)} | ${weir.cores.toFixed(2)} | ${fmt(weir.perCore)} | ${fmt(flink.rate)} | ${flink.cores.toFixed(2)} | ${fmt(flink.perCore)} | ${lat(r.weirLatency)} | ${lat(r.flinkLatency)} |`,
    );
  }
  const weirPerCore = median(results.map((r) => r.weir.perCore));
  const flinkPerCore = median(results.map((r) => r.flink.perCore));
  const weirLat = results.flatMap((r) => (r.weirLatency ? [r.weirLatency] : []));
  const flinkLat = results.flatMap((r) => (r.flinkLatency ? [r.flinkLatency] : []));
  summary.push(`| ${query} | ${fmt(weirPerCore)} | ${fmt(flinkPerCore)} | ${(weirPerCore / flinkPerCore).toFixed(2)} | ${ms(weirLat)} | ${ms(flinkLat)} |`);
}

process.stdout.write(
  [
    `Weir vs Flink 2.3 (p=2, 2 worker processes / TaskManagers, RocksDB, exactly-once checkpoints every ${checkpointInterval} ms, results discarded;`,
    `${window.seconds} s window after ${window.warmup} s warm-up; median of ${runs} runs each, alternately) on ${machine()}, ${javaVersion()}`,
    '',
    '| query | Weir events/s per core | Flink events/s per core | Weir/Flink | Weir p99 latency ms (rows) | Flink p99 latency ms (rows) |',
    '|---|---|---|---|---|---|',
    ...summary,
    '',
    '| query | run | Weir events/s | Weir cores | Weir per core | Flink events/s | Flink cores | Flink per core | Weir p99 ms / rows | Flink p99 ms / rows |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...detail,
    '',
  ].join('\n'),
);

function javaVersion(): string {
  return spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? 'java';
}
