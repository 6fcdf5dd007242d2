import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, keyGroupRangeForSubtask, keyToString, type RuntimeContext, type TimeDomain } from '@weir/common/runtime';
import {
  attemptStagingDirectoryName,
  channelId,
  checkpointDirectoryName,
  decodeRecordFrame,
  INCREMENTAL_STAGING_DIRECTORY,
  keyedStateFileName,
  keyedStateFileStem,
  LOCAL_STATE_DIRECTORY,
  localStateDirectoryName,
  subtaskFileStem,
  FrameKind,
  type Frame,
  type OperatorSubtaskState,
  type SplitStatus,
  type TaskDeployment,
  type TaskMetrics,
} from '@weir/protocol/runtime';
import { createOperator, createSource } from '../operators/operator-factory.ts';
import type { SlotToMain } from '../thread-protocol.ts';
import { BarrierAligner } from './barrier-aligner.ts';
import { DeadLetterOutput } from './dead-letter-output.ts';
import { InputGate, type InputChannel } from './input-gate.ts';
import type { ChainedOperator, Emit, OperatorContext, RecordTime, SourceOperator, SourceWatermark } from './operator.ts';
import { RecordWriter } from './record-writer.ts';
import { HeapKeyedStateBackend } from './state/heap-keyed-state-backend.ts';
import { removeEarlierAttemptStaging } from './state/incremental-snapshot-chain.ts';
import { RocksDBKeyedStateBackend } from './state/rocksdb-keyed-state-backend.ts';
import type { KeyedStateBackend } from './state/keyed-state-backend.ts';
import { DELETED_STATE_ENTRY } from './state/state-value-codec.ts';
import { TaskOutput } from './task-output.ts';

const SOURCE_BATCH = 512;
const METRICS_INTERVAL_MS = 500;
/** Changed keyed-state entries a disk backend may hold in memory before writing them out. */
const FLUSH_AFTER_DIRTY = 20_000;

type Post = (message: SlotToMain, transfer?: ArrayBuffer[]) => void;

/**
 * Runs one subtask (Flink's StreamTask): an operator chain fed by an input
 * gate or a source, writing to record writers, taking part in checkpoints.
 * Everything here runs in the subtask's own slot thread.
 *
 * With checkpointing, a task that has run out of input sends EndOfData, keeps
 * forwarding barriers, and ends (EndOfPartition, FINISHED) only once a
 * checkpoint taken after its last record has completed, so sinks commit
 * everything exactly once.
 */
export class StreamTask {
  private readonly deployment: TaskDeployment;
  private readonly functions: ReadonlyMap<string, unknown>;
  private readonly post: Post;
  private readonly dataDir: string;
  private readonly gate: InputGate;
  private readonly output: TaskOutput;
  private readonly operators: { id: string; op: ChainedOperator }[] = [];
  private readonly deadLetters: DeadLetterOutput[] = [];
  private readonly checkpointing: boolean;
  private source: { id: string; op: SourceOperator } | undefined;
  private state: KeyedStateBackend | undefined;
  /** Working directory of a RocksDB backend (scratch: durable state lives in checkpoints). */
  private stateDirectory: string | undefined;
  private cancelled = false;
  private recordsIn = 0;
  private failure: Error | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingTrigger: { checkpointId: number; stopSources: boolean } | undefined;
  private sourceStopped = false;
  private endOfDataSent = false;
  /** The first checkpoint taken after EndOfData: the task ends once it completes. */
  private finalCheckpointId: number | undefined;
  private completedCheckpointId = 0;
  private notifications: Promise<void> = Promise.resolve();
  private processingWake: NodeJS.Timeout | undefined;
  private processingWakeAt: number | undefined;
  /** Snapshot writes in flight: while any is, the task yields after every frame so the writer gets its turn. */
  private snapshotWrites = 0;
  /** The timestamp of the record in flight through the chain (Flink's StreamRecord timestamp). */
  private readonly time: RecordTime = { timestamp: Number.NaN };
  private readonly counters = new Map<string, number>();
  /** The input watermark (minimum over live, active inputs), reported in metrics. */
  private inputWatermark = Number.NEGATIVE_INFINITY;
  /** The last watermark and idleness this task sent downstream. */
  private outputWatermark = Number.NEGATIVE_INFINITY;
  private outputIdle = false;
  /** A chained operator that generates watermarks: it replaces the inputs' watermarks downstream. */
  private watermarkGenerator: ChainedOperator | undefined;
  private periodicDue = false;

  constructor(deployment: TaskDeployment, functions: ReadonlyMap<string, unknown>, post: Post, dataDir: string) {
    this.deployment = deployment;
    this.functions = functions;
    this.post = post;
    this.dataDir = dataDir;
    this.checkpointing = deployment.checkpointDir !== null && deployment.config.checkpoint.intervalMs > 0;
    this.output = new TaskOutput((channel, frame) => post({ type: 'frame', channel, frame }, [frame.payload.buffer as ArrayBuffer]));
    this.gate = new InputGate((channel, credits) => post({ type: 'credit', channel, credits }));
    this.wireChannels();
  }

  onFrame(channel: string, frame: Frame): void {
    this.gate.onFrame(channel, frame);
  }

  onCredit(channel: string, credits: number): void {
    this.output.onCredit(channel, credits);
  }

  /** From the coordinator, for source tasks: start a checkpoint between two records. */
  onTriggerCheckpoint(checkpointId: number, stopSources: boolean): void {
    if (!this.source) return;
    if (!this.pendingTrigger || checkpointId > this.pendingTrigger.checkpointId) this.pendingTrigger = { checkpointId, stopSources };
    this.signal();
  }

  onCheckpointComplete(checkpointId: number): void {
    this.notifications = this.notifications.then(async () => {
      if (checkpointId <= this.completedCheckpointId) return;
      this.completedCheckpointId = checkpointId;
      for (const { op } of this.operators) await op.notifyCheckpointComplete?.(checkpointId);
      await this.source?.op.notifyCheckpointComplete?.(checkpointId);
      this.signal();
    }).catch((error: unknown) => this.fail(`committing checkpoint ${checkpointId} failed: ${describeError(error)}`));
  }

  cancel(): void {
    this.cancelled = true;
    this.gate.close();
    this.output.interrupt();
    this.signal();
  }

  /** Fails the task from outside (a lost peer, a failed commit). */
  fail(reason: string): void {
    this.failure ??= new Error(reason);
    this.cancel();
  }

  /** Runs to the end of input; resolves 'FINISHED' or 'CANCELED', rejects on failure. */
  async run(initialCredits: number): Promise<'FINISHED' | 'CANCELED'> {
    const metricsTimer = setInterval(() => this.reportMetrics(), METRICS_INTERVAL_MS);
    const bufferTimeoutMs = this.deployment.config.bufferTimeoutMs;
    const flushTimer = bufferTimeoutMs > 0 ? setInterval(() => this.output.flushAll(), bufferTimeoutMs) : undefined;
    const watermarkTimer = setInterval(() => {
      this.periodicDue = true;
      if (this.watermarkGenerator) this.gate.interrupt();
    }, this.deployment.config.autoWatermarkIntervalMs ?? 200);
    try {
      await this.openStateBackend();
      this.buildChain();
      await this.restoreKeyedState();
      for (let i = this.operators.length - 1; i >= 0; i--) await this.operators[i]!.op.open?.();
      await this.source?.op.open?.();
      this.post({ type: 'state', state: 'RUNNING' });
      this.gate.open(initialCredits);
      if (this.source) await this.runSource(this.source.op, bufferTimeoutMs);
      else await this.runInputs(bufferTimeoutMs);
      if (!this.cancelled && !this.endOfDataSent) await this.endOfData();
      if (this.checkpointing && !this.cancelled) await this.awaitFinalCheckpoint();
      if (this.failure) throw this.failure;
      if (this.cancelled) return 'CANCELED';
      this.output.broadcastEvent(FrameKind.EndOfPartition);
      await this.output.available();
      await this.notifications;
      if (this.failure) throw this.failure;
      return this.cancelled ? 'CANCELED' : 'FINISHED';
    } finally {
      clearTimeout(this.processingWake);
      clearInterval(metricsTimer);
      clearInterval(watermarkTimer);
      if (flushTimer) clearInterval(flushTimer);
      this.flushDeadLetters();
      this.reportMetrics();
      // Commits already started (a completed checkpoint) finish before the thread ends.
      await this.notifications;
      await this.closeAll();
    }
  }

  private async runSource(source: SourceOperator, bufferTimeoutMs: number): Promise<void> {
    for (;;) {
      if (this.cancelled) return;
      if (this.pendingTrigger) {
        const trigger = this.pendingTrigger;
        this.pendingTrigger = undefined;
        await this.checkpoint(trigger.checkpointId, 0);
        if (trigger.stopSources) this.sourceStopped = true;
        continue;
      }
      if (this.sourceStopped) {
        // Stopped with a savepoint: emit nothing more; the coordinator cancels the job.
        await this.sleep();
        continue;
      }
      if (!this.output.isAvailable()) {
        await this.output.available();
        continue;
      }
      const more = await source.emitBatch(SOURCE_BATCH);
      await this.endBatch(bufferTimeoutMs);
      if (this.periodicDue) this.emitPeriodicWatermark(source.watermark?.());
      if (!more) {
        // A finished source holds back nothing (Flink's MAX_WATERMARK at the end of a bounded source).
        if (source.watermark) this.emitWatermark(Number.POSITIVE_INFINITY);
        return;
      }
      // Let credits, control messages and timers in between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async runInputs(bufferTimeoutMs: number): Promise<void> {
    const head = this.operators[0]!.op;
    const state = this.state;
    const selectorId = this.deployment.inputs[0]?.keySelector;
    const keyOf = state?.prefetch && selectorId ? this.userFunction<(r: unknown) => unknown>(selectorId) : undefined;
    const aligner = new BarrierAligner(this.gate, this.deployment.config.checkpoint.mode);
    const watermarks = new Map<InputChannel, number>();
    const idle = new Set<InputChannel>();
    const time = this.time;
    const onInputWatermark = async (): Promise<void> => {
      const open = this.gate.all().filter((c) => !c.ended);
      if (open.length === 0) return;
      const live = open.filter((c) => !idle.has(c));
      if (live.length === 0) {
        // Every input is idle (or done): so is this task, unless it makes its own watermarks.
        if (!this.watermarkGenerator) this.emitIdle(true);
        return;
      }
      if (!this.watermarkGenerator) this.emitIdle(false);
      const combined = Math.min(...live.map((c) => (c.endOfData ? Number.POSITIVE_INFINITY : (watermarks.get(c) ?? Number.NEGATIVE_INFINITY))));
      if (combined <= this.inputWatermark) return;
      this.inputWatermark = combined;
      const timers = this.operators[0]!.op.timers;
      if (timers) timers.service.watermark = combined;
      await this.fireTimers('event-time', combined, bufferTimeoutMs);
      if (!this.watermarkGenerator) this.emitWatermark(combined);
    };
    for (;;) {
      this.armProcessingTimer();
      const next = await this.gate.take();
      if (!next) return;
      if (next === 'woken') {
        await this.fireTimers('processing-time', Date.now(), bufferTimeoutMs);
        if (this.periodicDue && this.watermarkGenerator) this.emitPeriodicWatermark(this.watermarkGenerator.periodicWatermark?.());
        if (!this.output.isAvailable()) await this.output.available();
        continue;
      }
      const { channel, frame } = next;
      switch (frame.kind) {
        case FrameKind.Records: {
          const { records, timestamps } = decodeRecordFrame(frame.payload);
          this.recordsIn += records.length;
          if (idle.delete(channel)) await onInputWatermark();
          if (keyOf) await state!.prefetch!(records.map((r) => keyToString(keyOf(r))));
          const process = head.process;
          if (timestamps) {
            for (let i = 0; i < records.length; i++) {
              time.timestamp = timestamps[i]!;
              process(records[i]);
            }
          } else {
            time.timestamp = Number.NaN;
            for (let i = 0; i < records.length; i++) process(records[i]);
          }
          await this.endBatch(bufferTimeoutMs);
          if (this.periodicDue && this.watermarkGenerator) this.emitPeriodicWatermark(this.watermarkGenerator.periodicWatermark?.());
          break;
        }
        case FrameKind.Barrier: {
          const aligned = aligner.onBarrier(channel, frame.checkpointId);
          if (aligned) await this.checkpoint(aligned.checkpointId, aligned.alignmentMs);
          break;
        }
        case FrameKind.Watermark: {
          // A task's watermark is the minimum over its active inputs; it travels in-line.
          watermarks.set(channel, Math.max(watermarks.get(channel) ?? Number.NEGATIVE_INFINITY, frame.watermark));
          idle.delete(channel);
          await onInputWatermark();
          break;
        }
        case FrameKind.WatermarkStatus: {
          if (frame.watermark === 1) idle.add(channel);
          else idle.delete(channel);
          await onInputWatermark();
          break;
        }
        case FrameKind.EndOfData:
          channel.endOfData = true;
          await onInputWatermark();
          if (!this.endOfDataSent && this.gate.all().every((c) => c.endOfData || c.ended)) {
            // End of input: event time has run out (Flink's MAX_WATERMARK).
            await this.fireTimers('event-time', Number.POSITIVE_INFINITY, bufferTimeoutMs);
            await this.endOfData();
          }
          break;
        case FrameKind.EndOfPartition: {
          channel.ended = true;
          await onInputWatermark();
          const aligned = aligner.onChannelEnded();
          if (aligned) await this.checkpoint(aligned.checkpointId, aligned.alignmentMs);
          break;
        }
      }
      this.gate.release(channel);
      if (!this.output.isAvailable()) await this.output.available();
      if (this.cancelled) return;
      // With in-memory state, frames resolve as microtasks while input is
      // queued; without a real yield the asynchronous part of a checkpoint
      // would starve. (A disk backend already waits on I/O every frame.)
      if (this.snapshotWrites > 0 && !keyOf) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Fires the head operator's timers of `domain` due at `time`, in timestamp
   * order, with their keys' state loaded, as a batch between two frames.
   */
  private async fireTimers(domain: TimeDomain, time: number, bufferTimeoutMs: number): Promise<void> {
    const timers = this.operators[0]?.op.timers;
    if (!timers) return;
    for (let rounds = 0; rounds < 1000; rounds++) {
      const due = timers.service.takeDue(domain, time);
      if (due.length === 0) return;
      if (this.state?.prefetch) await this.state.prefetch([...new Set(due.map((d) => d.key))]);
      for (const entry of due) {
        const timer = timers.service.claim(domain, entry);
        if (!timer) continue;
        // What an event-time timer emits carries the timer's time (Flink does the same).
        this.time.timestamp = domain === 'event-time' ? timer.timestamp : Number.NaN;
        timers.fire(timer);
      }
      await this.endBatch(bufferTimeoutMs);
    }
  }

  /** Sends a watermark downstream if it advances event time. */
  private emitWatermark(watermark: number): void {
    if (watermark <= this.outputWatermark) return;
    this.emitIdle(false);
    this.outputWatermark = watermark;
    this.output.broadcastEvent(FrameKind.Watermark, watermark);
  }

  /** Tells downstream this task is idle (it must not wait for its watermark) or active again. */
  private emitIdle(idle: boolean): void {
    if (idle === this.outputIdle) return;
    this.outputIdle = idle;
    this.output.broadcastEvent(FrameKind.WatermarkStatus, idle ? 1 : 0);
  }

  /** Forwards what a source or a watermark-generating operator reports, every autoWatermarkIntervalMs. */
  private emitPeriodicWatermark(current: SourceWatermark | undefined): void {
    this.periodicDue = false;
    if (!current) return;
    if (current.idle) {
      this.emitIdle(true);
      return;
    }
    this.emitIdle(false);
    this.emitWatermark(current.watermark);
  }

  /** Keeps one wake-up armed for the earliest processing-time timer. */
  private armProcessingTimer(): void {
    const next = this.operators[0]?.op.timers?.service.nextProcessingTime();
    if (next === undefined || (this.processingWakeAt !== undefined && this.processingWakeAt <= next)) return;
    clearTimeout(this.processingWake);
    this.processingWakeAt = next;
    this.processingWake = setTimeout(() => {
      this.processingWakeAt = undefined;
      this.gate.interrupt();
    }, Math.max(0, next - Date.now()));
  }

  /** No more input: flush the chain and tell consumers no records follow. */
  private async endOfData(): Promise<void> {
    for (const { op } of this.operators) {
      await op.finish?.();
      await op.endBatch?.();
    }
    this.flushDeadLetters();
    this.output.flushAll();
    this.output.broadcastEvent(FrameKind.EndOfData);
    this.endOfDataSent = true;
  }

  /** Waits (forwarding barriers, for sources taking triggers) until a checkpoint after EndOfData completed. */
  private async awaitFinalCheckpoint(): Promise<void> {
    while (!this.cancelled) {
      if (this.finalCheckpointId !== undefined && this.completedCheckpointId >= this.finalCheckpointId) return;
      if (this.source && this.pendingTrigger) {
        const trigger = this.pendingTrigger;
        this.pendingTrigger = undefined;
        await this.checkpoint(trigger.checkpointId, 0);
        continue;
      }
      await this.sleep();
    }
  }

  /**
   * Takes checkpoint `checkpointId`: the synchronous part (operator state,
   * a keyed-state snapshot) between two records, then forwards the barrier,
   * then writes keyed state asynchronously and acknowledges.
   */
  private async checkpoint(checkpointId: number, alignmentMs: number): Promise<void> {
    const d = this.deployment;
    const started = performance.now();
    const operators: Record<string, OperatorSubtaskState> = {};
    let keyedSnapshot: Awaited<ReturnType<KeyedStateBackend['snapshot']>> | undefined;
    try {
      const union = (op: { unionListState?: boolean }): Partial<OperatorSubtaskState> => (op.unionListState ? { unionListState: true } : {});
      if (this.source) operators[this.source.id] = { keyedState: [], operatorState: this.source.op.snapshotState?.(checkpointId) ?? [], ...union(this.source.op) };
      for (const { id, op } of this.operators) operators[id] = { keyedState: [], operatorState: (await op.snapshotState?.(checkpointId)) ?? [], ...union(op) };
      keyedSnapshot = this.state ? await this.state.snapshot() : undefined;
    } catch (error) {
      this.post({ type: 'checkpoint-declined', checkpointId, reason: describeError(error) });
      return;
    }
    this.output.broadcastEvent(FrameKind.Barrier, 0, checkpointId);
    if (this.endOfDataSent && this.finalCheckpointId === undefined) this.finalCheckpointId = checkpointId;
    const syncMs = performance.now() - started;
    const headId = (this.source ?? this.operators[0]!).id;
    this.snapshotWrites++;
    void (async () => {
      const asyncStarted = performance.now();
      try {
        let bytes = 0;
        let incrementalBytes = 0;
        if (keyedSnapshot) {
          const directory = join(d.checkpointDir!, checkpointDirectoryName(checkpointId));
          const stem = keyedStateFileStem(d.vertexId, d.subtaskIndex);
          if (keyedSnapshot.writeIncremental) {
            const { handles, writtenBytes } = await keyedSnapshot.writeIncremental(directory, stem);
            operators[headId]!.keyedState.push(...handles);
            for (const handle of handles) bytes += handle.bytes;
            incrementalBytes += writtenBytes;
          } else {
            const handle = await keyedSnapshot.write(directory, keyedStateFileName(stem));
            operators[headId]!.keyedState.push(handle);
            bytes += handle.bytes;
            incrementalBytes += handle.bytes;
          }
        }
        this.post({
          type: 'checkpoint-ack',
          ack: {
            jobId: d.jobId,
            attempt: d.attempt,
            checkpointId,
            vertexId: d.vertexId,
            subtaskIndex: d.subtaskIndex,
            operators,
            bytes,
            incrementalBytes,
            alignmentMs,
            syncMs,
            asyncMs: performance.now() - asyncStarted,
          },
        });
      } catch (error) {
        this.post({ type: 'checkpoint-declined', checkpointId, reason: describeError(error) });
      } finally {
        keyedSnapshot?.release();
        this.snapshotWrites--;
      }
    })();
  }

  /** Opens the keyed state backend of a keyed vertex (its head follows a keyBy). */
  private async openStateBackend(): Promise<void> {
    const d = this.deployment;
    if (!d.inputs[0]?.keySelector) return;
    const keyGroupRange = keyGroupRangeForSubtask(d.subtaskIndex, d.parallelism, d.maxParallelism);
    if (d.config.stateBackend === 'heap') {
      this.state = new HeapKeyedStateBackend(keyGroupRange, d.maxParallelism);
      return;
    }
    this.stateDirectory = join(this.dataDir, LOCAL_STATE_DIRECTORY, d.jobId, localStateDirectoryName(d.attemptToken, d.vertexId, d.subtaskIndex));
    // Incremental checkpoints stage their files in the checkpoint storage, one directory per attempt and subtask.
    let stagingDirectory: string | undefined;
    if (this.checkpointing) {
      const staging = join(d.checkpointDir!, INCREMENTAL_STAGING_DIRECTORY);
      stagingDirectory = join(staging, attemptStagingDirectoryName(d.attempt, d.attemptToken), subtaskFileStem(d.vertexId, d.subtaskIndex));
      await removeEarlierAttemptStaging(staging, d.attempt);
    }
    this.state = await RocksDBKeyedStateBackend.open({ directory: this.stateDirectory, keyGroupRange, maxParallelism: d.maxParallelism, stagingDirectory });
  }

  private async restoreKeyedState(): Promise<void> {
    const restore = this.deployment.restore;
    if (!restore || !this.state) return;
    const headId = (this.source ?? this.operators[0]!).id;
    const handles = restore.operators[headId]?.keyedState ?? [];
    if (handles.length === 0) return;
    // Timers are keyed state; their firing order lives in memory and is rebuilt from the same pass. The files are a
    // chain applied in order (later files overwrite and delete), so entries are collected before rebuilding.
    const timers = this.operators[0]?.op.timers;
    const restored = new Map<string, Map<string, unknown>>();
    const visit = {
      tablePrefix: 'timers/',
      entry(table: string, key: string, value: unknown): void {
        let entries = restored.get(table);
        if (!entries) restored.set(table, (entries = new Map()));
        if (value === DELETED_STATE_ENTRY) entries.delete(key);
        else entries.set(key, value);
      },
    };
    await this.state.restore(restore.directory, handles, timers ? visit : undefined);
    if (!timers) return;
    for (const [table, entries] of restored) for (const [key, value] of entries) timers.service.restore(table, key, value);
  }

  private async endBatch(bufferTimeoutMs: number): Promise<void> {
    for (const { op } of this.operators) {
      const pending = op.endBatch?.();
      if (pending) await pending;
    }
    if (this.state?.flush && (this.state.dirtyCount?.() ?? 0) >= FLUSH_AFTER_DIRTY) await this.state.flush();
    this.flushDeadLetters();
    if (bufferTimeoutMs === 0) this.output.flushAll();
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private signal(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private flushDeadLetters(): void {
    for (const letters of this.deadLetters) letters.flush();
  }

  private async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const close of [() => this.source?.op.close?.(), ...this.operators.map(({ op }) => () => op.close?.())]) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    await this.state?.close();
    if (this.stateDirectory) await rm(this.stateDirectory, { recursive: true, force: true });
    if (errors.length > 0 && !this.failure) throw errors[0];
  }

  private reportMetrics(): void {
    const d = this.deployment;
    const metrics: TaskMetrics = {
      jobId: d.jobId,
      attempt: d.attempt,
      vertexId: d.vertexId,
      subtaskIndex: d.subtaskIndex,
      recordsIn: this.recordsIn,
      recordsOut: this.output.recordsOut,
      deadLetters: this.deadLetters.reduce((n, l) => n + l.count, 0),
      backpressuredFrames: this.output.backlogFrames(),
    };
    if (this.source?.op.watermark || this.inputWatermark !== Number.NEGATIVE_INFINITY) {
      const w = this.source ? this.outputWatermark : this.inputWatermark;
      metrics.inputWatermark = Number.isFinite(w) ? w : null;
    }
    const splits: SplitStatus[] | undefined = this.source?.op.splits?.();
    if (splits) metrics.splits = splits;
    if (this.counters.size > 0) metrics.counters = Object.fromEntries(this.counters);
    const withLetters = this.deadLetters.find((l) => l.count > 0);
    this.post({ type: 'metrics', metrics, deadLetterDir: withLetters?.directory ?? null });
  }

  private wireChannels(): void {
    const d = this.deployment;
    for (const out of d.outputs) {
      const channels = out.consumers.map((c) =>
        this.output.createChannel(channelId(d.jobId, d.attemptToken, d.vertexId, d.subtaskIndex, c.vertexId, c.subtaskIndex)),
      );
      const keySelector = out.keySelector ? this.userFunction<(r: unknown) => unknown>(out.keySelector) : undefined;
      this.output.addWriter(new RecordWriter(channels, out.partitioning, out.maxParallelism, keySelector, d.subtaskIndex), out.sideOutput);
    }
    for (const input of d.inputs) {
      for (const p of input.producers) {
        this.gate.addChannel(channelId(d.jobId, d.attemptToken, p.vertexId, p.subtaskIndex, d.vertexId, d.subtaskIndex), input.inputIndex);
      }
    }
  }

  private buildChain(): void {
    const d = this.deployment;
    const runtime: RuntimeContext = { jobId: d.jobId, operatorId: d.vertexId, subtaskIndex: d.subtaskIndex, parallelism: d.parallelism, attempt: d.attempt };
    const headKeySelector = d.inputs[0]?.keySelector;
    const keySelector = headKeySelector ? this.userFunction<(r: unknown) => unknown>(headKeySelector) : undefined;
    const output = this.output;
    const time = this.time;
    let next: Emit = (record) => output.emit(record, time.timestamp);
    const built: { id: string; op: ChainedOperator }[] = [];
    for (let i = d.operators.length - 1; i >= 0; i--) {
      const descriptor = d.operators[i]!;
      const deadLetterDir =
        (descriptor.config.deadLetterDir as string | undefined) ?? d.config.deadLetterDir ?? join(this.dataDir, 'dead-letter', d.jobId);
      const deadLetters = new DeadLetterOutput(deadLetterDir, descriptor.id, d.subtaskIndex);
      this.deadLetters.push(deadLetters);
      const ctx: OperatorContext = {
        deployment: d,
        descriptor,
        fn: descriptor.fn ? this.userFunction(descriptor.fn) : undefined,
        functions: Object.fromEntries(Object.entries(descriptor.functions ?? {}).map(([role, id]) => [role, this.userFunction(id)])),
        time,
        sideOutput: (tag) => (record) => output.emitSide(tag, record, time.timestamp),
        count: (name, n = 1) => this.counters.set(name, (this.counters.get(name) ?? 0) + n),
        keySelector: i === 0 ? keySelector : undefined,
        runtime: { ...runtime, operatorId: descriptor.id },
        deadLetters,
        dataDir: this.dataDir,
        cancelled: () => this.cancelled,
        restoredState: d.restore?.operators[descriptor.id]?.operatorState,
        restoredCheckpointId: d.restore?.checkpointId,
        checkpointing: this.checkpointing,
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
        const op = createOperator(ctx, next, () => {
          if (!this.state) throw new Error(`operator ${descriptor.id} needs keyed state but its input is not keyed: put it after keyBy()`);
          return this.state;
        });
        built.unshift({ id: descriptor.id, op });
        if (op.periodicWatermark && !this.watermarkGenerator) this.watermarkGenerator = op;
        next = op.process;
      }
    }
    this.operators.push(...built);
  }

  private userFunction<T = unknown>(id: string): T {
    const fn = this.functions.get(id);
    if (fn === undefined) {
      throw new Error(
        `the job artifact has no function '${id}': the job function built a different graph on the worker than at submit; make it depend only on its arguments`,
      );
    }
    return fn as T;
  }
}
