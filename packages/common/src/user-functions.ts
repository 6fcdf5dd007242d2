// The contract between user functions and the runtime. The SDK re-exports
// these types with the DataStream API; the worker implements them.

/** Emits records downstream from a flatMap-like or process function. */
export interface Collector<T> {
  collect(record: T): void;
}

/** Describes a piece of keyed state by name; created with the SDK's descriptor classes. */
export interface ValueStateDescriptorSpec<T> {
  readonly kind: 'value';
  readonly name: string;
  readonly defaultValue: T | undefined;
}

export type StateDescriptorSpec = ValueStateDescriptorSpec<unknown>;

/** One value per key, scoped to the key of the record being processed. */
export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default when unset. */
  value(): T | undefined;
  update(value: T): void;
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

/** What a keyed process function sees for each record. */
export interface KeyedProcessContext<K> extends RuntimeContext {
  /** The key of the record being processed. */
  readonly currentKey: K;
  /** Keyed state for the current key. */
  getState<T>(descriptor: ValueStateDescriptorSpec<T>): ValueState<T>;
}

/** A function over the records of one key at a time, with keyed state. */
export interface KeyedProcessFunction<K, I, O> {
  open?(context: RuntimeContext): void;
  processElement(value: I, context: KeyedProcessContext<K>, out: Collector<O>): void;
  close?(): void;
}
