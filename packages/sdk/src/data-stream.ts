import { ON_ERROR_POLICIES, ValidationError, type Collector, type OnErrorPolicy, type KeyedProcessFunction, type OperatorKind, type Partitioning, type ProcessFunction } from '@weir/common';
import { BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream, type AnyBroadcastStateDescriptor } from './broadcast-stream.ts';
import { ConnectedStreams, KeyedConnectedStreams } from './connected-streams.ts';
import { IntervalJoin } from './interval-join.ts';
import { CoGroupedStreams, JoinedStreams } from './join-streams.ts';
import { fileSinkConfig, type FileSinkOptions } from './file-sink-options.ts';
import type { Sink } from './connector.ts';
import { declaredStates, type KeyedFunctionOptions } from './declared-states.ts';
import type { JobBuilder } from './job-builder.ts';
import type { OutputTag } from './output-tag.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';
import type { Transformation } from './transformation.ts';
import { CountTrigger, PurgingTrigger } from './windowing/triggers.ts';
import { GlobalWindows, type WindowAssigner } from './windowing/window-assigners.ts';
import type { GlobalWindow } from './windowing/window-types.ts';
import { WindowedStream } from './windowing/windowed-stream.ts';

/** A function called once per record, or its flatMap/process variants. */
export type MapFunction<I, O> = (value: I) => O;
export type FilterFunction<T> = (value: T) => boolean;
export type FlatMapFunction<I, O> = (value: I) => Iterable<O>;
export type KeySelector<T, K> = (value: T) => K;
export type ReduceFunction<T> = (accumulator: T, value: T) => T;
/** A keyed process function given as a plain function. */
export type KeyedProcessFn<K, I, O> = KeyedProcessFunction<K, I, O>['processElement'];
/** Called for every record that reaches a forEach sink; may return a promise. */
export type ForEachFunction<T> = (value: T) => void | Promise<void>;

/** Settings shared by every operator handle: uid, name, parallelism, chaining. */
abstract class OperatorHandle<Self> {
  protected readonly builder: JobBuilder;
  /** @internal */
  readonly node: Transformation;

  constructor(builder: JobBuilder, node: Transformation) {
    this.builder = builder;
    this.node = node;
  }

  protected abstract self(): Self;

  /**
   * A stable id for this operator. State in checkpoints and savepoints is
   * matched to operators by uid: set it on every stateful operator.
   */
  uid(uid: string): Self {
    this.node.uid = uid;
    return this.self();
  }

  /** A readable name, shown by `weir status`. */
  name(name: string): Self {
    this.node.name = name;
    return this.self();
  }

  /**
   * What happens when this operator's user function throws for a record:
   * `'fail'` (the default) fails the task, and the job's restart strategy
   * applies; `'dead-letter'` sends the record and the error (message, stack,
   * operator name and uid) to the dead-letter output and goes on with the
   * next record. A NonRecoverableError always fails the job.
   */
  onError(policy: OnErrorPolicy): Self {
    if (!ON_ERROR_POLICIES.includes(policy)) throw new ValidationError(`onError() takes ${ON_ERROR_POLICIES.map((p) => `'${p}'`).join(' or ')}, got ${JSON.stringify(policy)}`);
    if (this.node.kind.startsWith('source.')) throw new ValidationError(`onError() applies to operators that process records, not to the source '${this.node.name}'`);
    this.node.config.onError = policy;
    return this.self();
  }

  /** How many parallel subtasks run this operator (default: the job's parallelism). */
  setParallelism(parallelism: number): Self {
    this.node.parallelism = parallelism;
    return this.self();
  }

  /** The number of key groups for keyed state; fixed for the life of the job's state. */
  setMaxParallelism(maxParallelism: number): Self {
    this.node.maxParallelism = maxParallelism;
    return this.self();
  }

  /** Never chain this operator with its neighbours: it runs as a task of its own. */
  disableChaining(): Self {
    this.node.chaining = 'never';
    return this.self();
  }

  /**
   * Puts this operator in the slot sharing group `name` (Flink's
   * slotSharingGroup): one subtask of each operator of a group shares a
   * slot, so a job needs, per group, as many slots as the group's highest
   * parallelism. An operator without a group takes its input's (the group of
   * all its inputs when they agree, else `default`); sources start in
   * `default`. Operators of different groups never chain.
   */
  slotSharingGroup(name: string): Self {
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw new ValidationError(`slotSharingGroup() takes a name of 1 to 200 characters, got ${JSON.stringify(name)}`);
    }
    this.node.slotSharingGroup = name;
    return this.self();
  }

  /** Start a new chain at this operator (it may still chain with what follows). */
  startNewChain(): Self {
    this.node.chaining = 'head';
    return this.self();
  }
}

/** The end of a pipeline: a sink. */
export class DataStreamSink<T> extends OperatorHandle<DataStreamSink<T>> {
  declare private readonly _type: T;
  protected self(): DataStreamSink<T> {
    return this;
  }
}

/**
 * A stream of records of type T. Every method adds an operator and returns
 * the stream it produces; nothing runs until the job is submitted.
 */
export class DataStream<T> extends OperatorHandle<DataStream<T>> {
  declare private readonly _type: T;
  /** @internal partitioning for the next operator's input edge */
  readonly partitioning: Partitioning | undefined;

  constructor(builder: JobBuilder, node: Transformation, partitioning?: Partitioning) {
    super(builder, node);
    this.partitioning = partitioning;
  }

  protected self(): DataStream<T> {
    return this;
  }

  /** Transforms each record into exactly one record. */
  map<O>(fn: MapFunction<T, O>): DataStream<O> {
    return this.then<O>('map', 'Map', fn);
  }

  /** Keeps the records for which `fn` returns true. */
  filter(fn: FilterFunction<T>): DataStream<T> {
    return this.then<T>('filter', 'Filter', fn);
  }

  /** Transforms each record into zero or more records (any iterable, e.g. an array). */
  flatMap<O>(fn: FlatMapFunction<T, O>): DataStream<O> {
    return this.then<O>('flatMap', 'FlatMap', fn);
  }

  /**
   * Partitions the stream by key: records with equal keys go to the same
   * subtask, and keyed operators after it keep state per key. Keys are
   * compared by their text (strings as they are, other values as JSON).
   */
  keyBy<K>(selector: KeySelector<T, K>): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.builder, this.node, selector);
  }

  /**
   * Gives records their event time and generates watermarks per subtask
   * (sources can do it per split instead: `fromSource(source, strategy)`).
   * Watermarks from upstream are replaced by the ones generated here.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): DataStream<T> {
    const { config, functions } = strategy.toOperator();
    const node = this.builder.addNode('timestamps', 'Timestamps/Watermarks', undefined, config, [this.asInput()], functions);
    return new DataStream<T>(this.builder, node);
  }

  /** The records this operator emitted to the side output `tag` (e.g. a window's late data). */
  getSideOutput<S>(tag: OutputTag<S>): DataStream<S> {
    const input = { node: this.node, partitioning: undefined, keySelector: undefined, sideOutput: tag.id };
    const node = this.builder.addNode('union', `SideOutput(${tag.id})`, undefined, {}, [input]);
    return new DataStream<S>(this.builder, node);
  }

  /** Spreads records round-robin over the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.builder, this.node, 'rebalance');
  }

  /** Sends every record to every subtask of the next operator. */
  broadcast(): DataStream<T>;
  /**
   * A broadcast stream with the broadcast states `descriptors` declare
   * (Flink's `broadcast(MapStateDescriptor...)`): connect a stream to it,
   * `events.connect(rules.broadcast(d)).process(BroadcastProcessFunction)`,
   * and every subtask gets every record of this stream.
   */
  broadcast(...descriptors: AnyBroadcastStateDescriptor[]): BroadcastStream<T>;
  broadcast(...descriptors: AnyBroadcastStateDescriptor[]): DataStream<T> | BroadcastStream<T> {
    if (descriptors.length > 0) return new BroadcastStream<T>(this.builder, this.asInput(), descriptors);
    return new DataStream<T>(this.builder, this.node, 'broadcast');
  }

  /** Merges streams of the same type into one. */
  union(...others: DataStream<T>[]): DataStream<T> {
    const node = this.builder.addNode('union', 'Union', undefined, {}, [this, ...others].map((s) => s.asInput()));
    return new DataStream<T>(this.builder, node);
  }

  /**
   * Connects this stream with `other` for a two-input operator: `map(fn1,
   * fn2)`, `flatMap(fn1, fn2)`, `process(CoProcessFunction)`, or `keyBy(k1,
   * k2)` for keyed state and timers shared by both inputs.
   */
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  /** Connects this stream with a broadcast stream: `process(BroadcastProcessFunction)`. */
  connect<T2>(other: BroadcastStream<T2>): BroadcastConnectedStream<T, T2>;
  connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> | BroadcastConnectedStream<T, T2> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, T2>(this.asInput(), other, toStream(this.builder));
    return new ConnectedStreams<T, T2>(this.builder, this.asInput(), other.asInput(), toStream(this.builder));
  }

  /**
   * Runs a ProcessFunction per record (no keyed state; timers need a keyed
   * stream, as in Flink: `keyBy(...).process(...)`); `ctx.output(tag, value)`
   * emits to side outputs, read with `getSideOutput(tag)`.
   */
  process<O>(fn: ProcessFunction<T, O>): DataStream<O> {
    if (typeof fn !== 'object' || fn === null || typeof fn.processElement !== 'function') {
      throw new ValidationError('process() takes a ProcessFunction: an object { processElement(value, ctx, out), open?, close? }');
    }
    return this.then<O>('process', 'Process', fn);
  }

  /**
   * Joins this stream with `other` per key and window (Flink's window join):
   * `a.join(b).where(ka).equalTo(kb).window(assigner).apply(fn)`.
   */
  join<T2>(other: DataStream<T2>): JoinedStreams<T, T2> {
    return new JoinedStreams<T, T2>(this, other);
  }

  /**
   * Groups this stream and `other` per key and window (Flink's coGroup):
   * `a.coGroup(b).where(ka).equalTo(kb).window(assigner).apply(fn)`.
   */
  coGroup<T2>(other: DataStream<T2>): CoGroupedStreams<T, T2> {
    return new CoGroupedStreams<T, T2>(this, other);
  }

  /**
   * Writes records as JSON lines (or text, for strings with `format: 'text'`)
   * to part files in `directory`: `<prefix>-<subtask>-<n><suffix>`
   * (`part-0-0.jsonl`) without checkpoints; with checkpoints, exactly once,
   * `<prefix>-<subtask>-<attempt>-<n>-cp<checkpoint><suffix>`, renamed into
   * `directory` when the checkpoint completes. Parts roll over by size, by
   * age and at every checkpoint (see RollingPolicy).
   */
  writeToFile(directory: string, options: FileSinkOptions = {}): DataStreamSink<T> {
    return this.sink('sink.file', 'FileSink', undefined, fileSinkConfig(directory, options));
  }

  /** Prints records as JSON lines on the worker's stdout. */
  print(): DataStreamSink<T> {
    return this.sink('sink.stdout', 'Print', undefined, {});
  }

  /** Drops every record (for benchmarks and tests). */
  discard(): DataStreamSink<T> {
    return this.sink('sink.discard', 'Discard', undefined, {});
  }

  /** Writes records to a connector's sink, e.g. `KafkaSink.builder<T>()...build()`. */
  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    const node = this.builder.addNode('sink.connector', sink.name, undefined, sink.config, [this.asInput()], sink.functions);
    node.connector = { ...sink.connector };
    return new DataStreamSink<T>(this.builder, node);
  }

  /** Calls `fn` for every record; a returned promise is awaited before the next record. */
  forEach(fn: ForEachFunction<T>): DataStreamSink<T> {
    return this.sink('sink.forEach', 'ForEach', fn, {});
  }

  /** @internal */
  asInput(keySelector?: (record: never) => unknown): Transformation['inputs'][number] {
    return { node: this.node, partitioning: keySelector ? 'hash' : this.partitioning, keySelector };
  }

  /** @internal Adds an operator of `kind` fed by this stream (for APIs outside this class, such as AsyncDataStream). */
  transform<O>(kind: OperatorKind, name: string, fn: unknown, config: Record<string, unknown>, functions?: Record<string, unknown>): DataStream<O> {
    const node = this.builder.addNode(kind, name, fn, config, [this.asInput()], functions);
    return new DataStream<O>(this.builder, node);
  }

  private then<O>(kind: OperatorKind, name: string, fn: unknown): DataStream<O> {
    const node = this.builder.addNode(kind, name, fn, {}, [this.asInput()]);
    return new DataStream<O>(this.builder, node);
  }

  private sink(kind: OperatorKind, name: string, fn: unknown, config: Record<string, unknown>): DataStreamSink<T> {
    const node = this.builder.addNode(kind, name, fn, config, [this.asInput()]);
    return new DataStreamSink<T>(this.builder, node);
  }
}

/** A stream partitioned by key; keyed operators keep state per key. */
export class KeyedStream<T, K> {
  private readonly builder: JobBuilder;
  private readonly source: Transformation;
  private readonly selector: KeySelector<T, K>;

  constructor(builder: JobBuilder, source: Transformation, selector: KeySelector<T, K>) {
    this.builder = builder;
    this.source = source;
    this.selector = selector;
  }

  /**
   * Combines each key's records into a running value and emits it after
   * every record (the first record of a key is emitted as it is).
   */
  reduce(fn: ReduceFunction<T>): DataStream<T> {
    return this.keyed<T>('keyed.reduce', 'Reduce', fn);
  }

  /**
   * Runs a process function per record with keyed state for the record's
   * key. Declare the states it uses, `{ states: [count] }` (or `states` on
   * the function object), so a restore checks them against the savepoint
   * before any record flows.
   */
  process<O>(fn: KeyedProcessFunction<K, T, O> | KeyedProcessFn<K, T, O>, options?: KeyedFunctionOptions): DataStream<O> {
    const normalized: KeyedProcessFunction<K, T, O> = typeof fn === 'function' ? { processElement: fn } : fn;
    const states = declaredStates('keyed process()', normalized, options);
    return this.keyed<O>('keyed.process', 'KeyedProcess', normalized, states ? { states } : undefined);
  }

  /**
   * Cuts each key's records into windows, e.g.
   * `.window(TumblingEventTimeWindows.of(60_000)).aggregate(fn)`; see
   * {@link WindowedStream} for triggers, allowed lateness and late data.
   */
  window<W>(assigner: WindowAssigner<W>): WindowedStream<T, K, W> {
    if (typeof assigner !== 'object' || assigner === null || !('spec' in assigner)) {
      throw new ValidationError('window() takes a window assigner, e.g. TumblingEventTimeWindows.of(60_000)');
    }
    const input = { node: this.source, partitioning: 'hash' as const, keySelector: this.selector as (record: never) => unknown };
    return new WindowedStream<T, K, W>(this.builder, input, assigner, <O>(node: Transformation) => new DataStream<O>(this.builder, node));
  }

  /**
   * Connects two keyed streams with keys of the same type: both inputs share
   * each key's state and timers (`process(KeyedCoProcessFunction)`).
   */
  connect<T2>(other: KeyedStream<T2, K>): KeyedConnectedStreams<T, T2, K>;
  /** Connects this keyed stream with a broadcast stream: `process(KeyedBroadcastProcessFunction)`. */
  connect<T2>(other: BroadcastStream<T2>): KeyedBroadcastConnectedStream<T, T2, K>;
  connect<T2>(other: KeyedStream<T2, K> | BroadcastStream<T2>): KeyedConnectedStreams<T, T2, K> | KeyedBroadcastConnectedStream<T, T2, K> {
    if (other instanceof BroadcastStream) return new KeyedBroadcastConnectedStream<T, T2, K>(this.keyedInput(), other, toStream(this.builder));
    return new KeyedConnectedStreams<T, T2, K>(this.builder, this.keyedInput(), other.keyedInput(), toStream(this.builder));
  }

  /**
   * Joins this keyed stream with `other` in event time (Flink's interval
   * join): `a.intervalJoin(b).between(lowerMs, upperMs).process(fn)` pairs
   * records a and b of one key with `a.ts + lower <= b.ts <= a.ts + upper`.
   */
  intervalJoin<T2>(other: KeyedStream<T2, K>): IntervalJoin<T, T2, K> {
    return new IntervalJoin<T, T2, K>(this.connect(other));
  }

  /** @internal This stream as a keyed input edge. */
  keyedInput(): Transformation['inputs'][number] {
    return { node: this.source, partitioning: 'hash', keySelector: this.selector as (record: never) => unknown };
  }

  /**
   * Windows of `n` records per key, each evaluated once full:
   * `window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(n)))`.
   * A last window with fewer than `n` records is not evaluated.
   */
  countWindow(n: number): WindowedStream<T, K, GlobalWindow> {
    return this.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of<GlobalWindow>(n)));
  }

  private keyed<O>(kind: OperatorKind, name: string, fn: unknown, functions?: Record<string, unknown>): DataStream<O> {
    const input = { node: this.source, partitioning: 'hash' as const, keySelector: this.selector as (record: never) => unknown };
    const node = this.builder.addNode(kind, name, fn, {}, [input], functions);
    return new DataStream<O>(this.builder, node);
  }
}

/** Wraps a node in a DataStream: handed to the classes that must not import DataStream as a value. */
function toStream(builder: JobBuilder) {
  return <O>(node: Transformation) => new DataStream<O>(builder, node);
}

export type { Collector };
