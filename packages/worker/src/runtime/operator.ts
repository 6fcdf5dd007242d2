import type { OperatorDescriptor, RuntimeContext, StateMetadata } from '@weir/common/runtime';
import type { SplitStatus, TaskDeployment } from '@weir/protocol/runtime';
import type { StateMigration } from '../operators/state/keyed-state-store.ts';
import type { DueTimer, KeyedTimerService } from '../operators/timers/keyed-timer-service.ts';
import type { DeadLetterOutput } from './dead-letter-output.ts';

/** Hands a record to the next operator of the chain (or the task's output). */
export type Emit = (record: unknown) => void;

/**
 * An operator in a chain. `process` is synchronous and calls the next
 * operator directly; the asynchronous hooks run between batches, so I/O and
 * state access happen per frame, not per record.
 */
export interface ChainedOperator {
  process: Emit;
  /** For a two-input operator at the head of its chain: a record of its second input (`process` takes the first). */
  process2?: Emit;
  open?(): Promise<void> | void;
  /** After every input batch has passed through the chain (sinks write here). */
  endBatch?(): Promise<void> | void;
  /** All input has ended: emit what is left. */
  finish?(): Promise<void> | void;
  /**
   * Checkpoint `checkpointId` reached this operator: return its operator list
   * state (sinks pre-commit here). Runs between two records.
   */
  snapshotState?(checkpointId: number): Promise<unknown[]> | unknown[];
  /**
   * For operators that generate watermarks (assignTimestampsAndWatermarks):
   * called every autoWatermarkIntervalMs; the task forwards what it returns
   * instead of the watermarks of its inputs.
   */
  periodicWatermark?(): SourceWatermark | undefined;
  /**
   * For operators that hold records back (async I/O): the task's watermarks
   * pass through it instead of going straight downstream, and the operator
   * sends each on with `ctx.emitWatermark` once the records before it are
   * out, so no record passes a watermark. Called between two records.
   */
  processWatermark?(watermark: number): void;
  /** Its list state is union list state: on restore every subtask gets every subtask's items. */
  readonly unionListState?: boolean;
  /** A keyed operator's states declared or used so far (recorded in checkpoints with the runtime's own). */
  states?(): StateMetadata[];
  /** A keyed operator's states restored from an older schema version: their values are migrated as the backend restores. */
  readonly stateMigrations?: readonly StateMigration[];
  /**
   * For an operator with broadcast state: each state's entries, taken with
   * the checkpoint (after `snapshotState`); restored as `restoredBroadcastState`.
   */
  snapshotBroadcastState?(): Record<string, [unknown, unknown][]>;
  /**
   * After each record of the second input: work that record left which
   * needs I/O (`applyToKeyedState` over keyed state on disk). The task awaits
   * a returned promise before anything else reaches the operator.
   */
  afterProcess2?(): Promise<void> | undefined;
  /** A keyed operator's timers: the task fires them between frames, with their keys' state loaded. */
  timers?: { service: KeyedTimerService; fire(due: DueTimer): void };
  /** Checkpoint `checkpointId` is complete everywhere: sinks commit here. */
  notifyCheckpointComplete?(checkpointId: number): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** The head of a source task: drives the chain. */
export interface SourceOperator {
  open?(): Promise<void> | void;
  /** Emits up to `max` records into the chain; resolves false once exhausted. */
  emitBatch(max: number): Promise<boolean> | boolean;
  /** The source's position (its operator list state). */
  snapshotState?(checkpointId: number): unknown[];
  /**
   * Its list state is union list state (Flink's getUnionListState): on
   * restore every subtask gets every subtask's items and keeps what it owns
   * (e.g. Kafka partitions, owned by a hash, not by position in the list).
   */
  readonly unionListState?: boolean;
  /**
   * The source's watermark (the minimum over its active splits), polled
   * every autoWatermarkIntervalMs; undefined when it has no event time.
   */
  watermark?(): SourceWatermark | undefined;
  /** Each split's position, lag and watermark, for `weir status`. */
  splits?(): SplitStatus[];
  /** Checkpoint `checkpointId` is complete everywhere (e.g. commit offsets to Kafka for monitoring). */
  notifyCheckpointComplete?(checkpointId: number): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** Where a source or watermark generator stands in event time. */
export interface SourceWatermark {
  /** ms; -Infinity before the first event. */
  watermark: number;
  /** Every split is idle: downstream must not wait for this subtask. */
  idle: boolean;
}

/**
 * The event-time timestamp of the record being processed (Flink's
 * StreamRecord timestamp): set by the task from the input frame, by
 * timestamp assigners, by sources and by operators that emit from timers;
 * records emitted carry it on. NaN means "no timestamp".
 */
export interface RecordTime {
  timestamp: number;
}

/** What an operator is built from. */
export interface OperatorContext {
  readonly deployment: TaskDeployment;
  readonly descriptor: OperatorDescriptor;
  /** The user function the descriptor names, if any. */
  readonly fn: unknown;
  /** The descriptor's further functions by role (`timestampAssigner`, `watermarkGenerator`, deserializers). */
  readonly functions: Readonly<Record<string, unknown>>;
  /** The current record's timestamp; set it before emitting to give records an event time. */
  readonly time: RecordTime;
  /** Emits to the side output `tag` (edges made by `getSideOutput`); records without such an edge are dropped. */
  sideOutput(tag: string): Emit;
  /** Adds `n` to the subtask's counter `name`, shown by `weir status` (e.g. `lateRecordsDropped`). */
  count(name: string, n?: number): void;
  /** For the head of a keyed vertex: the key selector of its input edge. */
  readonly keySelector: ((record: unknown) => unknown) | undefined;
  /** For the head of a keyed two-input vertex: the key selector of its second input's edge. */
  readonly secondKeySelector?: ((record: unknown) => unknown) | undefined;
  /** The task's input watermark (-Infinity before the first), for operators that read it without timers. */
  readonly watermark?: () => number;
  readonly runtime: RuntimeContext;
  readonly deadLetters: DeadLetterOutput;
  readonly dataDir: string;
  /** True once the task is cancelled: long-running loops stop. */
  readonly cancelled: () => boolean;
  /** This operator's list state from the checkpoint or savepoint the task starts from. */
  readonly restoredState: unknown[] | undefined;
  /** This operator's broadcast state (entries by state name) from the checkpoint or savepoint the task starts from. */
  readonly restoredBroadcastState?: Record<string, [unknown, unknown][]> | undefined;
  /** Id of the checkpoint the task starts from, if any. */
  readonly restoredCheckpointId: number | undefined;
  /** True when the job takes checkpoints: sinks then commit on checkpoint completion. */
  readonly checkpointing: boolean;
  /**
   * Awaits `wait` with the subtask's time accounted idle, not busy: a source
   * waiting for data or for its rate limit (Flink's idleTimeMsPerSecond).
   */
  waitIdle<T>(wait: Promise<T>): Promise<T>;
  /**
   * Asks the task to run the chain's `endBatch` soon even without new input
   * (asynchronous results are ready to be emitted). Cheap; call it from any
   * callback.
   */
  wakeTask(): void;
  /** For an operator with `processWatermark`: sends a watermark on, to the next such operator or downstream. */
  emitWatermark(watermark: number): void;
}
