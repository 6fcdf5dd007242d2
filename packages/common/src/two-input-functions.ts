// The contract of non-keyed process functions and of the functions of
// two-input operators (Flink's ProcessFunction, CoMap/CoFlatMap/CoProcess,
// KeyedCoProcessFunction, ProcessJoinFunction, JoinFunction,
// CoGroupFunction). The SDK re-exports them; the worker implements them.
import type { Collector, DeclaresStates, KeyedProcessContext, OnTimerContext, OutputTagSpec, ProcessContextBase, RuntimeContext } from './user-functions.ts';

/**
 * The timers of a non-keyed process function: it may read the clocks, but
 * registering a timer throws, as in Flink (timers are keyed state: put
 * `keyBy()` before `process()` to use them).
 */
export interface NonKeyedTimerService {
  /** The wall clock, in ms since the epoch. */
  currentProcessingTime(): number;
  /** The operator's input watermark (-Infinity before the first one). */
  currentWatermark(): number;
  /** Throws: timers need a keyed stream. */
  registerProcessingTimeTimer(timestamp: number): never;
  /** Throws: timers need a keyed stream. */
  registerEventTimeTimer(timestamp: number): never;
  /** Throws: timers need a keyed stream. */
  deleteProcessingTimeTimer(timestamp: number): never;
  /** Throws: timers need a keyed stream. */
  deleteEventTimeTimer(timestamp: number): never;
}

/** What a non-keyed process function sees for each record: no keyed state, no timers. */
export interface ProcessContext extends ProcessContextBase {
  timerService(): NonKeyedTimerService;
}

/** A function per record of a non-keyed stream (Flink's ProcessFunction), with side outputs. */
export interface ProcessFunction<I, O> {
  open?(context: RuntimeContext): void;
  processElement(value: I, context: ProcessContext, out: Collector<O>): void;
  close?(): void;
}

/** A function over two non-keyed inputs (Flink's CoProcessFunction): one method per input. */
export interface CoProcessFunction<I1, I2, O> {
  open?(context: RuntimeContext): void;
  /** A record of the first input. */
  processElement1(value: I1, context: ProcessContext, out: Collector<O>): void;
  /** A record of the second input. */
  processElement2(value: I2, context: ProcessContext, out: Collector<O>): void;
  close?(): void;
}

/**
 * A function over two inputs keyed alike (Flink's KeyedCoProcessFunction):
 * both inputs share the key's state and timers. `states` declares its state
 * descriptors up front (see {@link DeclaresStates}).
 */
export interface KeyedCoProcessFunction<K, I1, I2, O> extends DeclaresStates {
  open?(context: RuntimeContext): void;
  /** A record of the first input, with the state of its key. */
  processElement1(value: I1, context: KeyedProcessContext<K>, out: Collector<O>): void;
  /** A record of the second input, with the state of its key. */
  processElement2(value: I2, context: KeyedProcessContext<K>, out: Collector<O>): void;
  /** A timer of the current key fired. */
  onTimer?(timestamp: number, context: OnTimerContext<K>, out: Collector<O>): void;
  close?(): void;
}

/** Maps each record of either input to one record (Flink's CoMapFunction). */
export interface CoMapFunction<I1, I2, O> {
  map1(value: I1): O;
  map2(value: I2): O;
}

/** Maps each record of either input to zero or more records (Flink's CoFlatMapFunction). */
export interface CoFlatMapFunction<I1, I2, O> {
  flatMap1(value: I1, out: Collector<O>): void;
  flatMap2(value: I2, out: Collector<O>): void;
}

/** What a {@link ProcessJoinFunction} sees for each joined pair. */
export interface ProcessJoinContext extends RuntimeContext {
  /** The event time of the left record. */
  readonly leftTimestamp: number;
  /** The event time of the right record. */
  readonly rightTimestamp: number;
  /** The event time of the result: the larger of the two. */
  readonly timestamp: number;
  /** Emits `value` to the side output `tag`. */
  output<X>(tag: OutputTagSpec<X>, value: X): void;
}

/** Called for every pair an interval join matches (Flink's ProcessJoinFunction). */
export interface ProcessJoinFunction<L, R, O> {
  open?(context: RuntimeContext): void;
  processElement(left: L, right: R, context: ProcessJoinContext, out: Collector<O>): void;
  close?(): void;
}

/** Joins one pair of records of a window join (Flink's JoinFunction). */
export type JoinFunction<L, R, O> = (left: L, right: R) => O;

/** Gets all records of one key and window of both inputs (Flink's CoGroupFunction). */
export type CoGroupFunction<L, R, O> = (left: L[], right: R[], out: Collector<O>) => void;
