// The task of one subtask (Flink's StreamTask), in the subtask's own slot
// thread: its lifecycle, the loop that feeds the operator chain from the
// input gate or the source, timers, end of input and metrics.
import { rm } from 'node:fs/promises';
import { keyToString, type TimeDomain } from '@weir/common/runtime';
import { decodeRecordFrame, FrameKind, type Frame, type TaskDeployment } from '@weir/protocol/runtime';
import { InputGate } from '../network/input-gate.ts';
import type { LocalChannelPort } from '../network/local-channel-port.ts';
import { wireTaskChannels } from '../network/task-channels.ts';
import { TaskOutput } from '../network/task-output.ts';
import type { SourceOperator } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { BarrierAligner } from './barrier-aligner.ts';
import { inputsOf } from './head-inputs.ts';
import { RemoteCheckpointFiles } from '../state-backends/remote-checkpoint-files.ts';
import { openKeyedState, restoreKeyedState } from './keyed-state-initialization.ts';
import { OperatorChain } from './operator-chain.ts';
import { OutputWatermark } from './output-watermark.ts';
import { SubtaskCheckpoint } from './subtask-checkpoint.ts';
import { SlotThreadHealth } from './slot-thread-health.ts';
import { deadLetterDirectory, taskMetrics, type TaskMeters } from './task-metrics.ts';
import { BACKPRESSURED, BUSY, CounterRates, IDLE, TaskTime, TIME_ACCOUNTING_ENV } from './task-time.ts';
import type { SlotToMain } from './thread-protocol.ts';
import { WatermarkValve } from './watermark-valve.ts';

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
  private readonly post: Post;
  private readonly dataDir: string;
  private readonly gate: InputGate;
  private readonly output: TaskOutput;
  private readonly chain: OperatorChain;
  private readonly checkpoints: SubtaskCheckpoint;
  private readonly valve: WatermarkValve;
  private readonly outputWatermark: OutputWatermark;
  private readonly checkpointing: boolean;
  /** Ports of the channels to co-located subtasks, closed when the task ends. */
  private readonly localChannels: readonly LocalChannelPort[];
  private state: KeyedStateBackend | undefined;
  /** Working directory of a RocksDB backend (scratch: durable state lives in checkpoints). */
  private stateDirectory: string | undefined;
  /** Checkpoints on (or a restore from) object storage: state files go through the local disk. */
  private readonly remoteFiles: RemoteCheckpointFiles | undefined;
  private cancelled = false;
  private failure: Error | undefined;
  private wakeUp: (() => void) | undefined;
  private pendingTrigger: { checkpointId: number; stopSources: boolean } | undefined;
  private sourceStopped = false;
  private endOfDataSent = false;
  /** The first checkpoint taken after EndOfData: the task ends once it completes. */
  private finalCheckpointId: number | undefined;
  private processingWake: NodeJS.Timeout | undefined;
  private processingWakeAt: number | undefined;
  private periodicDue = false;
  private readonly bufferTimeoutMs: number;
  /** Busy, backpressured and idle time, marked at the loop's transitions (per frame or source batch). */
  private readonly time = new TaskTime({ enabled: process.env[TIME_ACCOUNTING_ENV] !== 'off' });
  private readonly meters: TaskMeters = { time: this.time, records: new CounterRates(), health: new SlotThreadHealth() };

  /** `localChannels`: the ports of its channels to subtasks in other slot threads of this worker. */
  constructor(deployment: TaskDeployment, functions: ReadonlyMap<string, unknown>, post: Post, dataDir: string, localChannels: readonly LocalChannelPort[] = []) {
    this.deployment = deployment;
    this.localChannels = localChannels;
    this.post = post;
    this.dataDir = dataDir;
    this.bufferTimeoutMs = deployment.config.bufferTimeoutMs;
    this.checkpointing = deployment.checkpointDir !== null && deployment.config.checkpoint.intervalMs > 0;
    this.output = new TaskOutput((channel, frame) => post({ type: 'frame', channel, frame }, [frame.payload.buffer as ArrayBuffer]));
    this.gate = new InputGate((channel, credits) => post({ type: 'credit', channel, credits }));
    this.chain = new OperatorChain(deployment, functions);
    this.outputWatermark = new OutputWatermark(this.output);
    this.valve = new WatermarkValve(this.gate, {
      // Without a watermark-generating operator the inputs' event time is the task's.
      onIdle: (idle) => {
        if (!this.chain.watermarkGenerator) this.outputWatermark.emitIdle(idle);
      },
      onAdvance: async (watermark) => {
        const timers = this.chain.head?.timers;
        if (timers) timers.service.watermark = watermark;
        await this.fireTimers('event-time', watermark);
        if (!this.chain.watermarkGenerator) this.outputWatermark.emit(watermark);
      },
    });
    this.remoteFiles = RemoteCheckpointFiles.uploads(deployment) || RemoteCheckpointFiles.downloads(deployment) ? new RemoteCheckpointFiles(deployment, dataDir) : undefined;
    this.checkpoints = new SubtaskCheckpoint({
      deployment,
      remoteFiles: this.remoteFiles,
      chain: this.chain,
      output: this.output,
      post,
      keyedState: () => this.state,
      onCommitted: () => this.signal(),
      onCommitFailed: (reason) => this.fail(reason),
    });
    wireTaskChannels(deployment, this.output, this.gate, localChannels, (id) => this.chain.userFunction(id));
  }

  onFrame(channel: string, frame: Frame): void {
    this.gate.onFrame(channel, frame);
  }

  onCredit(channel: string, credits: number): void {
    this.output.onCredit(channel, credits);
  }

  /** From the coordinator, for source tasks: start a checkpoint between two records. */
  onTriggerCheckpoint(checkpointId: number, stopSources: boolean): void {
    if (!this.chain.source) return;
    if (!this.pendingTrigger || checkpointId > this.pendingTrigger.checkpointId) this.pendingTrigger = { checkpointId, stopSources };
    this.signal();
  }

  onCheckpointComplete(checkpointId: number): void {
    this.checkpoints.notifyComplete(checkpointId);
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
    this.meters.health.start();
    const metricsTimer = setInterval(() => this.reportMetrics(), METRICS_INTERVAL_MS);
    const flushTimer = this.bufferTimeoutMs > 0 ? setInterval(() => this.output.flushAll(), this.bufferTimeoutMs) : undefined;
    const watermarkTimer = setInterval(() => {
      this.periodicDue = true;
      if (this.chain.watermarkGenerator) this.gate.interrupt();
    }, this.deployment.config.autoWatermarkIntervalMs ?? 200);
    try {
      const opened = await openKeyedState(this.deployment, this.dataDir, this.checkpointing);
      this.state = opened?.backend;
      this.stateDirectory = opened?.workingDirectory;
      this.chain.build({
        output: this.output,
        dataDir: this.dataDir,
        checkpointing: this.checkpointing,
        keyedState: () => this.state,
        cancelled: () => this.cancelled,
        waitIdle: (wait) => this.waitIdle(wait),
        inputWatermark: () => this.valve.current,
      });
      if (this.state) await restoreKeyedState(this.deployment, this.state, this.chain.headId, this.chain.head, this.remoteFiles);
      await this.chain.open();
      this.post({ type: 'state', state: 'RUNNING' });
      this.gate.open(initialCredits);
      if (this.chain.source) await this.runSource(this.chain.source.op);
      else await this.runInputs();
      if (!this.cancelled && !this.endOfDataSent) await this.endOfData();
      if (this.checkpointing && !this.cancelled) await this.awaitFinalCheckpoint();
      if (this.failure) throw this.failure;
      if (this.cancelled) return 'CANCELED';
      this.output.broadcastEvent(FrameKind.EndOfPartition);
      await this.output.available();
      await this.checkpoints.committed();
      if (this.failure) throw this.failure;
      return this.cancelled ? 'CANCELED' : 'FINISHED';
    } finally {
      clearTimeout(this.processingWake);
      clearInterval(metricsTimer);
      clearInterval(watermarkTimer);
      if (flushTimer) clearInterval(flushTimer);
      this.chain.flushDeadLetters();
      this.reportMetrics();
      this.meters.health.stop();
      // Commits already started (a completed checkpoint) finish before the thread ends.
      await this.checkpoints.committed();
      // What was sent on them is delivered before the other end sees them close.
      for (const { port } of this.localChannels) port.close();
      await this.closeAll();
    }
  }

  private async waitIdle<T>(wait: Promise<T>): Promise<T> {
    this.time.mark(IDLE);
    try {
      return await wait;
    } finally {
      this.time.mark(BUSY);
    }
  }

  private async runSource(source: SourceOperator): Promise<void> {
    for (;;) {
      if (this.cancelled) return;
      if (this.pendingTrigger) {
        const trigger = this.pendingTrigger;
        this.pendingTrigger = undefined;
        await this.checkpoint(trigger.checkpointId, 0);
        // Stopped with a savepoint; a later checkpoint without stop (the savepoint failed) resumes.
        this.sourceStopped = trigger.stopSources;
        continue;
      }
      if (this.sourceStopped) {
        // Stopped with a savepoint: emit nothing more; the coordinator cancels the job.
        this.time.mark(IDLE);
        await this.sleep();
        this.time.mark(BUSY);
        continue;
      }
      if (!this.output.isAvailable()) {
        await this.awaitOutput();
        continue;
      }
      const more = await source.emitBatch(SOURCE_BATCH);
      await this.endBatch();
      if (this.periodicDue) this.emitPeriodicWatermark(source.watermark?.());
      if (!more) {
        // A finished source holds back nothing (Flink's MAX_WATERMARK at the end of a bounded source).
        if (source.watermark) this.outputWatermark.emit(Number.POSITIVE_INFINITY);
        return;
      }
      // Let credits, control messages and timers in between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async runInputs(): Promise<void> {
    const chain = this.chain;
    const head = chain.head!;
    const state = this.state;
    const valve = this.valve;
    // Per input of the head (a two-input operator has two): how records enter it and, for prefetching, their keys.
    const inputs = inputsOf(this.deployment, head, state?.prefetch ? (id) => chain.userFunction<(r: unknown) => unknown>(id) : undefined);
    const keyed = inputs.some((input) => input.keyOf !== undefined);
    const aligner = new BarrierAligner(this.gate, this.deployment.config.checkpoint.mode);
    const eventTime = chain.time;
    const time = this.time;
    for (;;) {
      this.armProcessingTimer();
      time.mark(IDLE);
      const next = await this.gate.take();
      time.mark(BUSY);
      if (!next) return;
      if (next === 'woken') {
        await this.fireTimers('processing-time', Date.now());
        if (this.periodicDue && chain.watermarkGenerator) this.emitPeriodicWatermark(chain.watermarkGenerator.periodicWatermark?.());
        if (!this.output.isAvailable()) await this.awaitOutput();
        continue;
      }
      const { channel, frame } = next;
      switch (frame.kind) {
        case FrameKind.Records: {
          const { records, timestamps } = decodeRecordFrame(frame.payload);
          chain.recordsIn += records.length;
          if (valve.activate(channel)) await valve.evaluate();
          const { process, keyOf, after } = inputs[channel.inputIndex]!;
          if (keyOf) await state!.prefetch!(records.map((r) => keyToString(keyOf(r))));
          if (after) {
            // The operator may leave work after a record (applyToKeyedState): it ends before the next record.
            for (let i = 0; i < records.length; i++) {
              eventTime.timestamp = timestamps ? timestamps[i]! : Number.NaN;
              process(records[i]);
              const pending = after();
              if (pending) await pending;
            }
          } else if (timestamps) {
            for (let i = 0; i < records.length; i++) {
              eventTime.timestamp = timestamps[i]!;
              process(records[i]);
            }
          } else {
            eventTime.timestamp = Number.NaN;
            for (let i = 0; i < records.length; i++) process(records[i]);
          }
          await this.endBatch();
          if (this.periodicDue && chain.watermarkGenerator) this.emitPeriodicWatermark(chain.watermarkGenerator.periodicWatermark?.());
          break;
        }
        case FrameKind.Barrier: {
          const aligned = aligner.onBarrier(channel, frame.checkpointId);
          if (aligned) await this.checkpoint(aligned.checkpointId, aligned.alignmentMs);
          break;
        }
        case FrameKind.Watermark:
          // A task's watermark is the minimum over its active inputs; it travels in-line.
          await valve.onWatermark(channel, frame.watermark);
          break;
        case FrameKind.WatermarkStatus:
          await valve.onStatus(channel, frame.watermark === 1);
          break;
        case FrameKind.EndOfData:
          channel.endOfData = true;
          await valve.evaluate();
          if (!this.endOfDataSent && this.gate.all().every((c) => c.endOfData || c.ended)) {
            // End of input: event time has run out (Flink's MAX_WATERMARK).
            await this.fireTimers('event-time', Number.POSITIVE_INFINITY);
            await this.endOfData();
          }
          break;
        case FrameKind.EndOfPartition: {
          channel.ended = true;
          await valve.evaluate();
          const aligned = aligner.onChannelEnded();
          if (aligned) await this.checkpoint(aligned.checkpointId, aligned.alignmentMs);
          break;
        }
      }
      this.gate.release(channel);
      if (!this.output.isAvailable()) await this.awaitOutput();
      if (this.cancelled) return;
      // With in-memory state, frames resolve as microtasks while input is
      // queued; without a real yield the asynchronous part of a checkpoint
      // would starve. (A disk backend already waits on I/O every frame.)
      if (this.checkpoints.writesInFlight > 0 && !keyed) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Fires the head operator's timers of `domain` due at `time`, in timestamp
   * order, with their keys' state loaded, as a batch between two frames.
   */
  private async fireTimers(domain: TimeDomain, time: number): Promise<void> {
    const timers = this.chain.head?.timers;
    if (!timers) return;
    for (let rounds = 0; rounds < 1000; rounds++) {
      const due = timers.service.takeDue(domain, time);
      if (due.length === 0) return;
      if (this.state?.prefetch) await this.state.prefetch([...new Set(due.map((d) => d.key))]);
      for (const entry of due) {
        const timer = timers.service.claim(domain, entry);
        if (!timer) continue;
        // What an event-time timer emits carries the timer's time (Flink does the same).
        this.chain.time.timestamp = domain === 'event-time' ? timer.timestamp : Number.NaN;
        timers.fire(timer);
      }
      await this.endBatch();
    }
  }

  private emitPeriodicWatermark(current: Parameters<OutputWatermark['emitPeriodic']>[0]): void {
    this.periodicDue = false;
    this.outputWatermark.emitPeriodic(current);
  }

  /** Keeps one wake-up armed for the earliest processing-time timer. */
  private armProcessingTimer(): void {
    const next = this.chain.head?.timers?.service.nextProcessingTime();
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
    await this.chain.finish();
    this.chain.flushDeadLetters();
    this.output.flushAll();
    this.output.broadcastEvent(FrameKind.EndOfData);
    this.endOfDataSent = true;
  }

  /** Waits (forwarding barriers, for sources taking triggers) until a checkpoint after EndOfData completed. */
  private async awaitFinalCheckpoint(): Promise<void> {
    while (!this.cancelled) {
      if (this.finalCheckpointId !== undefined && this.checkpoints.completedCheckpointId >= this.finalCheckpointId) return;
      if (this.chain.source && this.pendingTrigger) {
        const trigger = this.pendingTrigger;
        this.pendingTrigger = undefined;
        await this.checkpoint(trigger.checkpointId, 0);
        continue;
      }
      this.time.mark(IDLE);
      await this.sleep();
      this.time.mark(BUSY);
    }
  }

  /** Waits, as backpressured time, until every output channel has sent its backlog. */
  private async awaitOutput(): Promise<void> {
    this.time.mark(BACKPRESSURED);
    await this.output.available();
    this.time.mark(BUSY);
  }

  private async checkpoint(checkpointId: number, alignmentMs: number): Promise<void> {
    const taken = await this.checkpoints.take(checkpointId, alignmentMs);
    if (taken && this.endOfDataSent && this.finalCheckpointId === undefined) this.finalCheckpointId = checkpointId;
  }

  private async endBatch(): Promise<void> {
    await this.chain.endBatch();
    if (this.state?.flush && (this.state.dirtyCount?.() ?? 0) >= FLUSH_AFTER_DIRTY) await this.state.flush();
    this.chain.flushDeadLetters();
    if (this.bufferTimeoutMs === 0) this.output.flushAll();
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

  private async closeAll(): Promise<void> {
    const errors = await this.chain.close();
    await this.state?.close();
    if (this.stateDirectory) await rm(this.stateDirectory, { recursive: true, force: true });
    await this.remoteFiles?.close();
    if (errors.length > 0 && !this.failure) throw errors[0];
  }

  private reportMetrics(): void {
    const source = this.chain.source;
    let watermark: number | undefined;
    if (source?.op.watermark || this.valve.current !== Number.NEGATIVE_INFINITY) watermark = source ? this.outputWatermark.watermark : this.valve.current;
    this.post({ type: 'metrics', metrics: taskMetrics(this.deployment, this.chain, this.output, watermark, this.meters), deadLetterDir: deadLetterDirectory(this.chain) });
  }
}
