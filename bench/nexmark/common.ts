// What every Nexmark query job shares: its arguments, the event source and the sink.
//
//   npx weir run bench/nexmark/q5.ts -p 2 -- --events N [--event-rate R] [--rate R]
//       [--output DIR] [--checkpoint-interval MS] [--state rocksdb|heap] [--latency-dir DIR]
//
//   --events N               how many events (0..N-1); required
//   --event-rate R           events per second of event time (the generator's rate; default 10,000)
//   --rate R                 cap on emitted events per second over all subtasks (default: as fast as possible)
//   --output DIR             write results as JSON lines to DIR/part-<subtask>.jsonl (default: discard them)
//   --checkpoint-interval MS checkpoint every MS milliseconds (default: no checkpoints)
//   --state rocksdb|heap     keyed-state backend (default rocksdb)
//   --latency-dir DIR        record source offsets and each row's latency in DIR (see latency.ts)
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WatermarkStrategy, type DataStream, type DataStreamSink, type StreamExecutionEnvironment } from '@weir/sdk';
import { DEFAULT_NEXMARK_CONFIG, nexmarkEvent, type Auction, type Bid, type NexmarkConfig, type NexmarkEvent, type Person } from './generator.ts';
import { offsetRecordingGenerator, recordLatency, TRIGGERS, WATERMARK_DELAY_MS } from './latency.ts';

export interface NexmarkArgs {
  events: number;
  config: NexmarkConfig;
  /** Emission cap in events per second over all subtasks; undefined: unthrottled. */
  rate: number | undefined;
  output: string | undefined;
  checkpointInterval: number | undefined;
  state: 'rocksdb' | 'heap';
  /** Where a latency run writes its measurements; undefined: no latency measurement. */
  latencyDir: string | undefined;
  query: string;
}

const USAGE = '--events N [--event-rate R] [--rate R] [--output DIR] [--checkpoint-interval MS] [--state rocksdb|heap] [--latency-dir DIR]';

function positive(value: string | undefined, flag: string, query: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`nexmark ${query}: ${flag} needs a number > 0, got '${value}' (usage: ${USAGE})`);
  return n;
}

export function parseNexmarkArgs(args: readonly string[], query: string): NexmarkArgs {
  const { values } = parseArgs({
    args: [...args],
    options: {
      events: { type: 'string' },
      'event-rate': { type: 'string' },
      rate: { type: 'string' },
      output: { type: 'string' },
      'checkpoint-interval': { type: 'string' },
      state: { type: 'string' },
      'latency-dir': { type: 'string' },
    },
    strict: true,
  });
  const events = positive(values.events, '--events', query);
  if (events === undefined || !Number.isInteger(events)) throw new Error(`nexmark ${query} needs --events N (a whole number > 0); usage: ${USAGE}`);
  if (values.state !== undefined && values.state !== 'rocksdb' && values.state !== 'heap') {
    throw new Error(`nexmark ${query}: --state is rocksdb or heap, got '${values.state}'`);
  }
  return {
    events,
    config: { ...DEFAULT_NEXMARK_CONFIG, rate: positive(values['event-rate'], '--event-rate', query) ?? DEFAULT_NEXMARK_CONFIG.rate },
    rate: positive(values.rate, '--rate', query),
    output: values.output === undefined ? undefined : resolve(values.output),
    checkpointInterval: positive(values['checkpoint-interval'], '--checkpoint-interval', query),
    state: values.state ?? 'rocksdb',
    latencyDir: values['latency-dir'] === undefined ? undefined : resolve(values['latency-dir']),
    query,
  };
}

/** Job settings and the event source: every event, with event time and watermarks (dateTime - 4 s) per split. */
export function nexmarkSource(env: StreamExecutionEnvironment, query: string, args: NexmarkArgs): DataStream<NexmarkEvent> {
  env.setJobName(`nexmark-${query}`);
  env.setStateBackend(args.state);
  if (args.checkpointInterval !== undefined) env.enableCheckpointing(args.checkpointInterval);
  const config = args.config;
  const generate = args.latencyDir === undefined ? (n: number): NexmarkEvent => nexmarkEvent(n, config) : offsetRecordingGenerator(config, args.latencyDir);
  return env
    .fromGenerator(generate, {
      count: args.events,
      ...(args.rate !== undefined ? { ratePerSecond: args.rate } : {}),
      watermarks: WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(WATERMARK_DELAY_MS).withTimestampAssigner((e) => e.dateTime),
    })
    .uid('nexmark-source')
    .name('Nexmark');
}

// Filters that narrow the stream's type (the cast is type-only: no extra operator).
export function bidsOf(events: DataStream<NexmarkEvent>): DataStream<Bid> {
  return events.filter((e) => e.type === 'bid').name('Bids') as unknown as DataStream<Bid>;
}

export function auctionsOf(events: DataStream<NexmarkEvent>): DataStream<Auction> {
  return events.filter((e) => e.type === 'auction').name('Auctions') as unknown as DataStream<Auction>;
}

export function personsOf(events: DataStream<NexmarkEvent>): DataStream<Person> {
  return events.filter((e) => e.type === 'person').name('Persons') as unknown as DataStream<Person>;
}

/** Writes the results as JSON lines to --output, or discards them (after the latency stage of a latency run). */
export function nexmarkSink<T>(results: DataStream<T>, args: NexmarkArgs): DataStreamSink<T> {
  const trigger = TRIGGERS[args.query] as ((row: T) => number) | undefined;
  const rows = args.latencyDir !== undefined && trigger !== undefined ? recordLatency(results, args.latencyDir, trigger) : results;
  return (args.output !== undefined ? rows.writeToFile(args.output) : rows.discard()).uid('nexmark-sink');
}
