// The contract between user functions and the runtime. The SDK re-exports
// these types with the DataStream API; the worker implements them.

/** Emits records downstream from a flatMap-like or process function. */
export interface Collector<T> {
  collect(record: T): void;
}

/**
 * When keyed state expires (Flink's StateTtlConfig, simplified): a value not
 * written (or, with `OnReadAndWrite`, not read either) for `ttlMs`
 * milliseconds of processing time reads as absent and is deleted when read.
 * The whole value of a key carries one timestamp: for list and map state the
 * list or map expires as a whole, not entry by entry as in Flink.
 */
export interface StateTtlConfig {
  /** Time to live in milliseconds of processing time (`Date.now()`); > 0. */
  readonly ttlMs: number;
  /** What refreshes the timestamp: writes only (default), or reads and writes. */
  readonly updateType?: StateTtlUpdateType;
}

/** What refreshes a state value's TTL timestamp. */
export type StateTtlUpdateType = 'OnCreateAndWrite' | 'OnReadAndWrite';

/** The kinds of keyed state. Each state lives in its own table, `<kind>/<name>`. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** What every state descriptor has; created with the SDK's descriptor classes. */
export interface StateDescriptorSpec {
  readonly kind: StateKind;
  /** Unique among the operator's states (across kinds); names the state in checkpoints. */
  readonly name: string;
  /** Expiry of the state's values; none when absent. */
  readonly ttl?: StateTtlConfig | undefined;
  /** How values are written: `'msgpack'` (default) or `'json'`; a checkpoint records it and a restore must match it. */
  readonly serializer?: 'msgpack' | 'json' | undefined;
  /** The schema version of the values (default 1); a restore from another version needs `migrate`. */
  readonly version?: number | undefined;
  /**
   * Turns a value written by an older version of the state into one of
   * `version`; run once per stored value when the job is restored from a
   * checkpoint or savepoint of that older version.
   */
  readonly migrate?: ((value: unknown, fromVersion: number) => unknown) | undefined;
}

/**
 * The options of a state descriptor besides its name (the SDK's descriptor
 * classes take them as their last argument).
 */
export interface StateDescriptorOptions {
  /** Expiry of values (see {@link StateTtlConfig}). */
  readonly ttl?: StateTtlConfig;
  /** How values are written (default `'msgpack'`). Changing it makes savepoints of the old one unreadable. */
  readonly serializer?: 'msgpack' | 'json';
  /** The schema version of the values (an integer ≥ 1, default 1). Raise it when the shape of the values changes, with `migrate`. */
  readonly version?: number;
  /** Turns a value of an older version into one of `version` (see {@link StateDescriptorSpec.migrate}). */
  readonly migrate?: (value: unknown, fromVersion: number) => unknown;
}

/**
 * What a keyed function may declare up front: the descriptors of the states
 * it uses, so a restore checks them against the savepoint before any record
 * flows. States used without being declared are checked when first used.
 */
export interface DeclaresStates {
  readonly states?: readonly StateDescriptorSpec[];
}

/** Describes a ValueState: one value per key. */
export interface ValueStateDescriptorSpec<T> extends StateDescriptorSpec {
  readonly kind: 'value';
  readonly defaultValue: T | undefined;
}

/** Describes a ListState: a list of values per key. */
export interface ListStateDescriptorSpec<T> extends StateDescriptorSpec {
  readonly kind: 'list';
  /** Type-level marker of the element type; never set at runtime. */
  readonly __stateType?: (element: T) => T;
}

/** How MapState keys are stored (as object property names) and given back. */
export type MapStateKeyType = 'string' | 'number';

/** Describes a MapState: a map of user keys to values per key. */
export interface MapStateDescriptorSpec<K extends string | number, V> extends StateDescriptorSpec {
  readonly kind: 'map';
  /**
   * `'number'`: keys are numbers, stored as their decimal text and converted
   * back with `Number()` on the way out. `'string'`: keys come back as strings
   * (a number key `1` comes back as `'1'`).
   */
  readonly keyType: MapStateKeyType;
  /** Type-level marker of the key and value types; never set at runtime. */
  readonly __stateType?: (entry: [K, V]) => [K, V];
}

/** Describes a ReducingState: one value per key, combining every added value with `reduceFunction`. */
export interface ReducingStateDescriptorSpec<T> extends StateDescriptorSpec {
  readonly kind: 'reducing';
  /** Combines the stored value with an added one; returns the new stored value. */
  readonly reduceFunction: (accumulated: T, value: T) => T;
}

/**
 * Aggregates values into an accumulator (Flink's AggregateFunction). The
 * runtime hands `add`, `getResult` and `merge` private copies of stored
 * accumulators, so they may change them in place and return them.
 */
export interface AggregateFunction<IN, ACC, OUT> {
  /** A fresh accumulator, for the first value of a key. */
  createAccumulator(): ACC;
  /** Adds `value` to `accumulator`; returns the accumulator to store (never undefined). */
  add(value: IN, accumulator: ACC): ACC;
  /** The result for an accumulator. */
  getResult(accumulator: ACC): OUT;
  /** Combines two accumulators into one; needed only where windows merge (session windows). */
  merge?(a: ACC, b: ACC): ACC;
}

/** Describes an AggregatingState: one accumulator per key, fed through `aggregateFunction`. */
export interface AggregatingStateDescriptorSpec<IN, ACC, OUT> extends StateDescriptorSpec {
  readonly kind: 'aggregating';
  readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>;
}

/*
 * Keyed state is scoped to the key of the record being processed. Values must
 * be plain data (what msgpack and structuredClone keep: primitives, arrays,
 * plain objects, Dates, Maps, typed arrays): they are written to RocksDB and
 * to checkpoints. Write changes back through the state; a value object
 * changed in place is not stored (with the RocksDB backend) or may leak into
 * a checkpoint in progress (with the heap backend).
 */

/** One value per key, scoped to the key of the record being processed. */
export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default when unset (or expired). */
  value(): T | undefined;
  /** Sets the value for the current key; `undefined` clears it. */
  update(value: T): void;
  clear(): void;
}

/**
 * A list of values per key. Stored as one array per key: every change
 * writes the key's whole list, so keep lists modest (a few thousand entries).
 */
export interface ListState<T> {
  /** A copy of the current key's list; empty when unset (or expired). */
  get(): T[];
  /** Appends a value (not `undefined`). */
  add(value: T): void;
  /** Appends the values (none `undefined`); an empty array changes nothing. */
  addAll(values: readonly T[]): void;
  /** Replaces the list with a copy of `values`; an empty array clears it. */
  update(values: readonly T[]): void;
  clear(): void;
}

/**
 * A map of user keys to values per key, stored as one plain object per key
 * (every change writes the key's whole map). Keys are stored as text; the
 * descriptor's `keyType` says whether they come back as numbers or strings.
 * `'__proto__'` cannot be a key. Iteration follows JavaScript object order:
 * integer-like keys ascending, then the others in insertion order.
 */
export interface MapState<K extends string | number, V> {
  /** The value under `key`, or undefined. */
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  /** Puts every entry of a record, a Map or an array of `[key, value]` pairs. */
  putAll(entries: Readonly<Record<K, V>> | ReadonlyMap<K, V> | readonly (readonly [K, V])[]): void;
  /** Removes `key`; removing the last key clears the state. */
  remove(key: K): void;
  contains(key: K): boolean;
  /** The keys, as an array (a snapshot: safe to change the map while iterating it). */
  keys(): K[];
  values(): V[];
  entries(): [K, V][];
  isEmpty(): boolean;
  clear(): void;
}

/** One value per key that every added value is reduced into. */
export interface ReducingState<T> {
  /** The reduced value for the current key, or undefined when nothing was added (or it expired). */
  get(): T | undefined;
  /** Reduces `value` into the stored value (stores it as is when there is none); `undefined` clears the state, as in Flink. */
  add(value: T): void;
  clear(): void;
}

/** One accumulator per key that every added value is aggregated into. */
export interface AggregatingState<IN, OUT> {
  /** The result for the current key's accumulator, or undefined when nothing was added (or it expired). */
  get(): OUT | undefined;
  /** Adds `value` to the accumulator (a new one for the first value); `undefined` clears the state, as in Flink. */
  add(value: IN): void;
  clear(): void;
}

/** Facts about the running subtask. */
export interface RuntimeContext {
  readonly jobId: string;
  readonly operatorId: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly attempt: number;
}

/**
 * Names a side output (the SDK's `OutputTag` is one): what a process
 * function emits with `ctx.output(tag, value)` is read with
 * `stream.getSideOutput(tag)`.
 */
export interface OutputTagSpec<T> {
  readonly id: string;
  /** Type-level marker of the element type; never set at runtime. */
  readonly __outputType?: (value: T) => T;
}

/** What every process function's context offers besides state and timers. */
export interface ProcessContextBase extends RuntimeContext {
  /**
   * The event time of the record being processed, or of the event-time timer
   * firing (Flink's `ctx.timestamp()`); undefined when it has none.
   */
  currentTimestamp(): number | undefined;
  /** Emits `value` to the side output `tag`, with the current timestamp. */
  output<X>(tag: OutputTagSpec<X>, value: X): void;
}

/** What a keyed process function sees for each record. */
export interface KeyedProcessContext<K> extends ProcessContextBase {
  /** The key of the record being processed. */
  readonly currentKey: K;
  /**
   * Keyed state for the current key. Each `get*State` call with the same
   * descriptor returns the same state object, which always reads and writes
   * the current key's value. A state name may be used for one kind only.
   */
  getState<T>(descriptor: ValueStateDescriptorSpec<T>): ValueState<T>;
  /** List state for the current key (see {@link ListState}). */
  getListState<T>(descriptor: ListStateDescriptorSpec<T>): ListState<T>;
  /** Map state for the current key (see {@link MapState}). */
  getMapState<K extends string | number, V>(descriptor: MapStateDescriptorSpec<K, V>): MapState<K, V>;
  /** Reducing state for the current key (see {@link ReducingState}). */
  getReducingState<T>(descriptor: ReducingStateDescriptorSpec<T>): ReducingState<T>;
  /** Aggregating state for the current key (see {@link AggregatingState}). */
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptorSpec<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  /** Timers of the current key. */
  timerService(): TimerService;
}

/** The two clocks a timer can follow. */
export type TimeDomain = 'processing-time' | 'event-time';

/**
 * Timers of the current key. A timer fires `onTimer` once for its key and
 * timestamp (registering the same one twice has no effect); timers are keyed
 * state, so checkpoints keep them and a restore brings them back.
 */
export interface TimerService {
  /** The wall clock, in ms since the epoch. */
  currentProcessingTime(): number;
  /** The operator's input watermark (-Infinity before the first one). */
  currentWatermark(): number;
  /** Fires when the wall clock reaches `timestamp`. */
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
  /** Fires when the watermark reaches `timestamp`, or at the end of bounded input. */
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
}

/** What `onTimer` sees: the timer's key, time and clock. */
export interface OnTimerContext<K> extends KeyedProcessContext<K> {
  readonly timeDomain: TimeDomain;
  readonly timestamp: number;
}

/**
 * A function over the records of one key at a time, with keyed state and
 * timers. `states` declares its state descriptors up front (see
 * {@link DeclaresStates}).
 */
export interface KeyedProcessFunction<K, I, O> extends DeclaresStates {
  open?(context: RuntimeContext): void;
  processElement(value: I, context: KeyedProcessContext<K>, out: Collector<O>): void;
  /** A timer of the current key fired. */
  onTimer?(timestamp: number, context: OnTimerContext<K>, out: Collector<O>): void;
  close?(): void;
}
