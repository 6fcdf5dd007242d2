// The contract of the broadcast state pattern (Flink's BroadcastProcessFunction
// and KeyedBroadcastProcessFunction, their contexts and broadcast state). The
// SDK re-exports them; the worker implements them.
import type { ProcessContext } from './two-input-functions.ts';
import type {
  AggregatingState,
  AggregatingStateDescriptorSpec,
  Collector,
  KeyedProcessContext,
  ListState,
  ListStateDescriptorSpec,
  MapState,
  MapStateDescriptorSpec,
  ProcessContextBase,
  ReducingState,
  ReducingStateDescriptorSpec,
  RuntimeContext,
  TimeDomain,
  ValueState,
  ValueStateDescriptorSpec,
} from './user-functions.ts';

/**
 * Broadcast state as `processElement` sees it (Flink's
 * ReadOnlyBroadcastState): every subtask holds the same map, and only the
 * broadcast side may change it, so that it stays the same everywhere. Values
 * are frozen copies: changing one in place throws.
 */
export interface ReadOnlyBroadcastState<K, V> {
  /** The value under `key`, or undefined. */
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** The entries, in insertion order (a copy: Flink's immutableEntries). */
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  /** Number of entries. */
  readonly size: number;
}

/**
 * Broadcast state as `processBroadcastElement` sees it (Flink's
 * BroadcastState): a map held in memory by each subtask of the operator,
 * kept in every checkpoint (one copy per subtask) and given to every subtask
 * on restore, whatever the parallelism. Keep it small (a rules or lookup
 * table), and change it only from broadcast elements, the same way on every
 * subtask (no randomness, no wall clock), or the copies drift apart. Values
 * must be JSON data (strings, finite numbers, booleans, null, arrays, plain
 * objects); they are copied and frozen on `put`.
 */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  /** Puts every entry of a record, a Map or an array of `[key, value]` pairs. */
  putAll(entries: Readonly<Record<string, V>> | ReadonlyMap<K, V> | readonly (readonly [K, V])[]): void;
  remove(key: K): void;
  clear(): void;
}

/**
 * A broadcast state is declared by a MapStateDescriptor (as in Flink):
 * `stream.broadcast(descriptor)` names it, `ctx.getBroadcastState(descriptor)`
 * reads it. A TTL is refused: broadcast state does not expire.
 */
export type BroadcastStateDescriptorSpec<K extends string | number, V> = MapStateDescriptorSpec<K, V>;

/** What every context of a broadcast process function offers: the broadcast states, read-only. */
export interface ReadOnlyBroadcastStateAccess {
  /**
   * The broadcast state `descriptor` names, read-only; the descriptor must
   * be one passed to `stream.broadcast(...)`.
   */
  getBroadcastState<K extends string | number, V>(descriptor: BroadcastStateDescriptorSpec<K, V>): ReadOnlyBroadcastState<K, V>;
}

/** The clocks of the broadcast side: it has no current key, so registering a timer throws. */
export interface BroadcastTimerService {
  /** The wall clock, in ms since the epoch. */
  currentProcessingTime(): number;
  /** The operator's input watermark (-Infinity before the first one). */
  currentWatermark(): number;
}

/** What `processElement` of a {@link BroadcastProcessFunction} sees (Flink's ReadOnlyContext). */
export interface BroadcastReadOnlyContext extends ProcessContext, ReadOnlyBroadcastStateAccess {}

/** What `processBroadcastElement` sees (Flink's BroadcastProcessFunction.Context): broadcast state to change. */
export interface BroadcastContext extends ProcessContextBase {
  /** The broadcast state `descriptor` names, to read and change; the descriptor must be one passed to `stream.broadcast(...)`. */
  getBroadcastState<K extends string | number, V>(descriptor: BroadcastStateDescriptorSpec<K, V>): BroadcastState<K, V>;
  /** The clocks (no timers: the broadcast side has no key). */
  timerService(): BroadcastTimerService;
}

/**
 * A function over a non-keyed stream and a broadcast stream (Flink's
 * BroadcastProcessFunction): `processElement` per record of the first with
 * the broadcast state read-only, `processBroadcastElement` per record of the
 * broadcast stream (every subtask sees every one) with the state to change.
 */
export interface BroadcastProcessFunction<IN1, IN2, OUT> {
  open?(context: RuntimeContext): void;
  /** A record of the non-broadcast input. */
  processElement(value: IN1, context: BroadcastReadOnlyContext, out: Collector<OUT>): void;
  /** A record of the broadcast input; every subtask gets every one. */
  processBroadcastElement(value: IN2, context: BroadcastContext, out: Collector<OUT>): void;
  close?(): void;
}

/** Called for the state of every key by `applyToKeyedState` (Flink's KeyedStateFunction). */
export type KeyedStateFunction<K, S> = (key: K, state: S) => void;

/** What `processElement` of a {@link KeyedBroadcastProcessFunction} sees: the key's state and timers, broadcast state read-only. */
export interface KeyedBroadcastReadOnlyContext<K> extends KeyedProcessContext<K>, ReadOnlyBroadcastStateAccess {}

/** What `onTimer` of a {@link KeyedBroadcastProcessFunction} sees (Flink's OnTimerContext). */
export interface KeyedBroadcastOnTimerContext<K> extends KeyedBroadcastReadOnlyContext<K> {
  readonly timeDomain: TimeDomain;
  readonly timestamp: number;
}

/**
 * What `processBroadcastElement` of a {@link KeyedBroadcastProcessFunction}
 * sees (Flink's KeyedBroadcastProcessFunction.Context): broadcast state to
 * change and the keyed state of every key through `applyToKeyedState`; no
 * current key, so no keyed state of its own and no timers.
 */
export interface KeyedBroadcastContext<K> extends BroadcastContext {
  /**
   * Calls `fn(key, state)` for every key of this subtask that has state
   * under `descriptor`, with the state scoped to that key (it may read,
   * change or clear it). The calls run once `processBroadcastElement`
   * returns and before the operator sees any other record or timer (keyed
   * state may be on disk: it is read key by key); records they emit follow
   * the broadcast element's own output.
   */
  applyToKeyedState<T>(descriptor: ValueStateDescriptorSpec<T>, fn: KeyedStateFunction<K, ValueState<T>>): void;
  applyToKeyedState<T>(descriptor: ListStateDescriptorSpec<T>, fn: KeyedStateFunction<K, ListState<T>>): void;
  applyToKeyedState<MK extends string | number, V>(descriptor: MapStateDescriptorSpec<MK, V>, fn: KeyedStateFunction<K, MapState<MK, V>>): void;
  applyToKeyedState<T>(descriptor: ReducingStateDescriptorSpec<T>, fn: KeyedStateFunction<K, ReducingState<T>>): void;
  applyToKeyedState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptorSpec<IN, ACC, OUT>, fn: KeyedStateFunction<K, AggregatingState<IN, OUT>>): void;
}

/**
 * A function over a keyed stream and a broadcast stream (Flink's
 * KeyedBroadcastProcessFunction): `processElement` per record of the keyed
 * input with the key's state and timers and the broadcast state read-only;
 * `processBroadcastElement` per record of the broadcast stream with the
 * broadcast state to change and `applyToKeyedState` over all keys; `onTimer`
 * per timer of a key.
 */
export interface KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> {
  open?(context: RuntimeContext): void;
  /** A record of the keyed input, with the state of its key. */
  processElement(value: IN1, context: KeyedBroadcastReadOnlyContext<K>, out: Collector<OUT>): void;
  /** A record of the broadcast input; every subtask gets every one. */
  processBroadcastElement(value: IN2, context: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  /** A timer of the current key fired. */
  onTimer?(timestamp: number, context: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): void;
  close?(): void;
}
