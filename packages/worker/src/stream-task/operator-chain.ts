// The operator chain of one subtask (Flink's OperatorChain): builds the
// chained operators (and the source, for a source task) tail-first from the
// deployment, and runs their lifecycle hooks in order.
import { join } from 'node:path';
import { builtInStates, InvalidJobError, mergeStateMetadata, OPERATOR_LIST_STATE_NAME, type OperatorDescriptor, type RuntimeContext, type StateMetadata } from '@weir/common/runtime';
import type { OperatorSubtaskState, TaskDeployment } from '@weir/protocol/runtime';
import { createOperator, createSource } from '../operators/operator-factory.ts';
import type { TaskOutput } from '../network/task-output.ts';
import { DeadLetterOutput, splitRestoredState } from '../runtime/dead-letter-output.ts';
import { applyErrorPolicy } from './error-policy.ts';
import type { ChainedOperator, Emit, OperatorContext, RecordTime, SourceOperator } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';

/** An operator of the chain with its id in the job graph. */
export interface ChainMember<T> {
  readonly id: string;
  readonly op: T;
}

/** What the chain needs from its task while it is built. */
export interface ChainEnvironment {
  readonly output: TaskOutput;
  readonly dataDir: string;
  readonly checkpointing: boolean;
  /** The task's keyed state backend (undefined: the head does not follow a keyBy). */
  keyedState(): KeyedStateBackend | undefined;
  cancelled(): boolean;
  /** Awaits with the task's time accounted idle (see OperatorContext.waitIdle). */
  waitIdle<T>(wait: Promise<T>): Promise<T>;
  /** The task's input watermark (-Infinity before the first one). */
  inputWatermark?(): number;
  /** See OperatorContext.wakeTask. */
  wakeTask?(): void;
  /** Sends a watermark downstream that the chain's watermark-holding operators released. */
  releaseWatermark?(watermark: number): void;
}

/**
 * The chain of one subtask: every operator gets a synchronous
 * `process(record)` that calls the next one, the last one emits to the
 * task's output. A source task's chain starts with its source.
 */
export class OperatorChain {
  /** Chained operators, head first (a source is not among them). */
  readonly operators: ChainMember<ChainedOperator>[] = [];
  source: ChainMember<SourceOperator> | undefined;
  readonly deadLetters: DeadLetterOutput[] = [];
  /** Each member's dead-letter output, by operator id. */
  private readonly deadLettersOf = new Map<string, DeadLetterOutput>();
  /** User counters (`ctx.count`), reported in metrics. */
  readonly counters = new Map<string, number>();
  /** The timestamp of the record in flight through the chain (Flink's StreamRecord timestamp). */
  readonly time: RecordTime = { timestamp: Number.NaN };
  /** A chained operator that generates watermarks: it replaces the inputs' watermarks downstream. */
  watermarkGenerator: ChainedOperator | undefined;
  /**
   * Where the task's watermarks enter the chain when an operator holds them
   * back (`processWatermark`, head-most first); undefined: straight downstream.
   */
  watermarkHold: ((watermark: number) => void) | undefined;
  /** Records that entered the chain (from input frames or the source). */
  recordsIn = 0;
  private readonly deployment: TaskDeployment;
  private readonly functions: ReadonlyMap<string, unknown>;

  constructor(deployment: TaskDeployment, functions: ReadonlyMap<string, unknown>) {
    this.deployment = deployment;
    this.functions = functions;
  }

  /** The operator that takes the task's input (the one after the source, for a source task). */
  get head(): ChainedOperator | undefined {
    return this.operators[0]?.op;
  }

  /** The id of the chain's first operator: its keyed state is the task's keyed state. */
  get headId(): string {
    return (this.source ?? this.operators[0]!).id;
  }

  /** A user function of the job artifact, by the id the graph gave it. */
  userFunction<T = unknown>(id: string): T {
    const fn = this.functions.get(id);
    if (fn === undefined) {
      throw new InvalidJobError(
        `the job artifact has no function '${id}': the job function built a different graph on the worker than at submit; make it depend only on its arguments`,
      );
    }
    return fn as T;
  }

  /** Creates the operators tail-first, each emitting into the next. */
  build(env: ChainEnvironment): void {
    const d = this.deployment;
    const runtime: RuntimeContext = { jobId: d.jobId, operatorId: d.vertexId, subtaskIndex: d.subtaskIndex, parallelism: d.parallelism, attempt: d.attempt };
    // A two-input head has one key selector per input; others take the first input's.
    const selectorOf = (inputIndex: number) => {
      const id = d.inputs.find((input) => input.inputIndex === inputIndex)?.keySelector;
      return id ? this.userFunction<(r: unknown) => unknown>(id) : undefined;
    };
    const keySelector = selectorOf(0);
    const secondKeySelector = selectorOf(1);
    const output = env.output;
    const time = this.time;
    let next: Emit = (record) => output.emit(record, time.timestamp);
    // Watermarks released by a holding operator go to the next one after it, the last one's downstream.
    let nextWatermark: ((watermark: number) => void) | undefined;
    const built: ChainMember<ChainedOperator>[] = [];
    for (let i = d.operators.length - 1; i >= 0; i--) {
      const descriptor = d.operators[i]!;
      const deadLetterDir =
        (descriptor.config.deadLetterDir as string | undefined) ?? d.config.deadLetterDir ?? join(env.dataDir, 'dead-letter', d.jobId);
      // With checkpoints, the operator's pending dead-letter files travel in its list state.
      const restored = splitRestoredState(d.restore?.operators[descriptor.id]?.operatorState);
      const transaction = env.checkpointing ? { token: d.attemptToken, restored: restored.deadLetters, restoredCheckpointId: d.restore?.checkpointId } : undefined;
      const deadLetters = new DeadLetterOutput(deadLetterDir, descriptor.id, d.subtaskIndex, transaction);
      this.deadLetters.push(deadLetters);
      this.deadLettersOf.set(descriptor.id, deadLetters);
      const ctx: OperatorContext = {
        deployment: d,
        descriptor,
        fn: descriptor.fn ? this.userFunction(descriptor.fn) : undefined,
        functions: Object.fromEntries(Object.entries(descriptor.functions ?? {}).map(([role, id]) => [role, this.userFunction(id)])),
        time,
        sideOutput: (tag) => (record) => output.emitSide(tag, record, time.timestamp),
        count: (name, n = 1) => this.counters.set(name, (this.counters.get(name) ?? 0) + n),
        keySelector: i === 0 ? keySelector : undefined,
        secondKeySelector: i === 0 ? secondKeySelector : undefined,
        watermark: () => env.inputWatermark?.() ?? Number.NEGATIVE_INFINITY,
        runtime: { ...runtime, operatorId: descriptor.id },
        deadLetters,
        dataDir: env.dataDir,
        cancelled: env.cancelled,
        restoredState: restored.operatorState,
        restoredBroadcastState: d.restore?.operators[descriptor.id]?.broadcastState,
        restoredCheckpointId: d.restore?.checkpointId,
        checkpointing: env.checkpointing,
        waitIdle: (wait) => env.waitIdle(wait),
        wakeTask: () => env.wakeTask?.(),
        emitWatermark: nextWatermark ?? ((watermark) => env.releaseWatermark?.(watermark)),
      };
      if (i === 0 && descriptor.kind.startsWith('source.')) {
        const emit = next;
        this.source = {
          id: descriptor.id,
          op: createSource(ctx, (record) => {
            this.recordsIn++;
            emit(record);
          }),
        };
      } else {
        const op = applyErrorPolicy(createOperator(ctx, next, () => {
          const state = env.keyedState();
          if (!state) throw new InvalidJobError(`operator ${descriptor.id} needs keyed state but its input is not keyed: put it after keyBy()`);
          return state;
        }), descriptor, d.subtaskIndex, deadLetters);
        built.unshift({ id: descriptor.id, op });
        if (op.periodicWatermark && !this.watermarkGenerator) this.watermarkGenerator = op;
        if (op.processWatermark) nextWatermark = op.processWatermark.bind(op);
        next = op.process;
      }
    }
    this.operators.push(...built);
    this.watermarkHold = nextWatermark;
  }

  /** Opens the operators tail-first, then the source. */
  async open(): Promise<void> {
    for (const letters of this.deadLetters) await letters.open();
    for (let i = this.operators.length - 1; i >= 0; i--) await this.operators[i]!.op.open?.();
    await this.source?.op.open?.();
  }

  /** Every operator's end of a batch, head first (sinks write here). */
  async endBatch(): Promise<void> {
    for (const { op } of this.operators) {
      const pending = op.endBatch?.();
      if (pending) await pending;
    }
  }

  /** End of input: every operator emits what it holds back, head first. */
  async finish(): Promise<void> {
    for (const { op } of this.operators) {
      await op.finish?.();
      await op.endBatch?.();
    }
  }

  /** The operator state of every member for checkpoint `checkpointId` (keyed state is added by the caller). */
  async snapshotState(checkpointId: number): Promise<Record<string, OperatorSubtaskState>> {
    const operators: Record<string, OperatorSubtaskState> = {};
    const union = (op: { unionListState?: boolean }): Partial<OperatorSubtaskState> => (op.unionListState ? { unionListState: true } : {});
    if (this.source) operators[this.source.id] = { keyedState: [], operatorState: this.source.op.snapshotState?.(checkpointId) ?? [], ...union(this.source.op) };
    for (const { id, op } of this.operators) {
      operators[id] = { keyedState: [], operatorState: (await op.snapshotState?.(checkpointId)) ?? [], ...union(op) };
      if (op.snapshotBroadcastState) operators[id].broadcastState = op.snapshotBroadcastState();
    }
    // Dead letters are pre-committed with the checkpoint, like a sink's files.
    for (const [id, letters] of this.deadLettersOf) {
      const files = await letters.snapshotState(checkpointId);
      if (files.length > 0) operators[id]!.operatorState = [...operators[id]!.operatorState, ...files];
    }
    for (const descriptor of this.deployment.operators) {
      const state = operators[descriptor.id];
      if (state) state.states = this.recordedStates(descriptor, state);
    }
    return operators;
  }

  /**
   * The states a checkpoint records for an operator: those it was restored
   * with (carried on while unused), the runtime's own, the ones its function
   * declared or used, its operator list state when it has any, and its broadcast states.
   */
  private recordedStates(descriptor: OperatorDescriptor, snapshot: OperatorSubtaskState): StateMetadata[] {
    const restored = this.deployment.restore?.operators[descriptor.id]?.states ?? [];
    const keyed = descriptor.id === this.headId && this.deployment.inputs[0]?.keySelector !== undefined;
    const op = this.operators.find((m) => m.id === descriptor.id)?.op;
    const held = (name: string, kind: 'operator-list' | 'broadcast'): StateMetadata => ({ name, kind, serializer: 'msgpack', version: 1 });
    const listState = snapshot.operatorState.length > 0 ? [held(OPERATOR_LIST_STATE_NAME, 'operator-list')] : [];
    const broadcast = Object.keys(snapshot.broadcastState ?? {}).map((name) => held(name, 'broadcast'));
    return mergeStateMetadata(restored, keyed ? builtInStates(descriptor.kind) : [], op?.states?.() ?? [], listState, broadcast);
  }

  /** Checkpoint `checkpointId` is complete everywhere: sinks and sources commit. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const { op } of this.operators) await op.notifyCheckpointComplete?.(checkpointId);
    await this.source?.op.notifyCheckpointComplete?.(checkpointId);
    for (const letters of this.deadLetters) await letters.notifyCheckpointComplete(checkpointId);
  }

  /** Closes every member (the source first); returns the errors, so every member gets closed. */
  async close(): Promise<unknown[]> {
    const errors: unknown[] = [];
    const members = [() => this.source?.op.close?.(), ...this.operators.map(({ op }) => () => op.close?.()), ...this.deadLetters.map((l) => () => l.close())];
    for (const close of members) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    return errors;
  }

  flushDeadLetters(): void {
    for (const letters of this.deadLetters) letters.flush();
  }
}
