import { join } from 'node:path';
import {
  channelId,
  decodeRecords,
  keyGroupRangeForSubtask,
  FrameKind,
  type Frame,
  type RuntimeContext,
  type TaskDeployment,
  type TaskMetrics,
} from '@weir/common';
import { createOperator, createSource } from '../operators/operator-factory.ts';
import type { SlotToMain } from '../thread-protocol.ts';
import { DeadLetterOutput } from './dead-letter-output.ts';
import { InputGate } from './input-gate.ts';
import type { ChainedOperator, Emit, OperatorContext, SourceOperator } from './operator.ts';
import { RecordWriter } from './record-writer.ts';
import { HeapKeyedStateBackend } from './state/heap-keyed-state-backend.ts';
import type { KeyedStateBackend } from './state/keyed-state-backend.ts';
import { TaskOutput } from './task-output.ts';

const SOURCE_BATCH = 512;
const METRICS_INTERVAL_MS = 500;

type Post = (message: SlotToMain, transfer?: ArrayBuffer[]) => void;

/**
 * Runs one subtask (Flink's StreamTask): an operator chain fed by an input
 * gate or a source, writing to record writers. Everything here runs in the
 * subtask's own slot thread.
 */
export class StreamTask {
  private readonly deployment: TaskDeployment;
  private readonly functions: ReadonlyMap<string, unknown>;
  private readonly post: Post;
  private readonly dataDir: string;
  private readonly gate: InputGate;
  private readonly output: TaskOutput;
  private readonly operators: ChainedOperator[] = [];
  private readonly deadLetters: DeadLetterOutput[] = [];
  private source: SourceOperator | undefined;
  private state: KeyedStateBackend | undefined;
  private cancelled = false;
  private recordsIn = 0;
  private failure: Error | undefined;

  constructor(deployment: TaskDeployment, functions: ReadonlyMap<string, unknown>, post: Post, dataDir: string) {
    this.deployment = deployment;
    this.functions = functions;
    this.post = post;
    this.dataDir = dataDir;
    this.output = new TaskOutput((channel, frame) => post({ type: 'frame', channel, frame }, [frame.payload.buffer as ArrayBuffer]));
    this.gate = new InputGate((channel, credits) => post({ type: 'credit', channel, credits }));
    this.wireChannels();
    this.buildChain();
  }

  onFrame(channel: string, frame: Frame): void {
    this.gate.onFrame(channel, frame);
  }

  onCredit(channel: string, credits: number): void {
    this.output.onCredit(channel, credits);
  }

  cancel(): void {
    this.cancelled = true;
    this.gate.close();
    this.output.interrupt();
  }

  /** Fails the task from outside (a lost peer). */
  fail(reason: string): void {
    this.failure ??= new Error(reason);
    this.cancel();
  }

  /** Runs to the end of input; resolves 'FINISHED' or 'CANCELED', rejects on failure. */
  async run(initialCredits: number): Promise<'FINISHED' | 'CANCELED'> {
    const metricsTimer = setInterval(() => this.reportMetrics(), METRICS_INTERVAL_MS);
    const bufferTimeoutMs = this.deployment.config.bufferTimeoutMs;
    const flushTimer = bufferTimeoutMs > 0 ? setInterval(() => this.output.flushAll(), bufferTimeoutMs) : undefined;
    try {
      for (let i = this.operators.length - 1; i >= 0; i--) await this.operators[i]!.open?.();
      await this.source?.open?.();
      this.post({ type: 'state', state: 'RUNNING' });
      this.gate.open(initialCredits);
      if (this.source) await this.runSource(this.source, bufferTimeoutMs);
      else await this.runInputs(bufferTimeoutMs);
      if (this.failure) throw this.failure;
      if (this.cancelled) return 'CANCELED';
      for (const op of this.operators) {
        await op.finish?.();
        await op.endBatch?.();
      }
      this.flushDeadLetters();
      this.output.flushAll();
      this.output.broadcastEvent(FrameKind.EndOfPartition);
      await this.output.available();
      if (this.failure) throw this.failure;
      return this.cancelled ? 'CANCELED' : 'FINISHED';
    } finally {
      clearInterval(metricsTimer);
      if (flushTimer) clearInterval(flushTimer);
      this.flushDeadLetters();
      this.reportMetrics();
      await this.closeAll();
    }
  }

  private async runSource(source: SourceOperator, bufferTimeoutMs: number): Promise<void> {
    for (;;) {
      if (this.cancelled) return;
      if (!this.output.isAvailable()) {
        await this.output.available();
        continue;
      }
      const more = await source.emitBatch(SOURCE_BATCH);
      await this.endBatch(bufferTimeoutMs);
      if (!more) return;
      // Let credits, control messages and timers in between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async runInputs(bufferTimeoutMs: number): Promise<void> {
    const head = this.operators[0]!;
    for (;;) {
      const next = await this.gate.take();
      if (!next) return;
      const { channel, frame } = next;
      if (frame.kind === FrameKind.Records) {
        const records = decodeRecords(frame.payload);
        this.recordsIn += records.length;
        const process = head.process;
        for (let i = 0; i < records.length; i++) process(records[i]);
        await this.endBatch(bufferTimeoutMs);
      } else if (frame.kind === FrameKind.EndOfPartition) {
        channel.ended = true;
      }
      this.gate.release(channel);
      if (!this.output.isAvailable()) await this.output.available();
      if (this.cancelled) return;
    }
  }

  private async endBatch(bufferTimeoutMs: number): Promise<void> {
    for (const op of this.operators) {
      const pending = op.endBatch?.();
      if (pending) await pending;
    }
    this.flushDeadLetters();
    if (bufferTimeoutMs === 0) this.output.flushAll();
  }

  private flushDeadLetters(): void {
    for (const letters of this.deadLetters) letters.flush();
  }

  private async closeAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const close of [() => this.source?.close?.(), ...this.operators.map((op) => () => op.close?.())]) {
      try {
        await close();
      } catch (error) {
        errors.push(error);
      }
    }
    await this.state?.close();
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
    const withLetters = this.deadLetters.find((l) => l.count > 0);
    this.post({ type: 'metrics', metrics, deadLetterDir: withLetters?.directory ?? null });
  }

  private wireChannels(): void {
    const d = this.deployment;
    for (const out of d.outputs) {
      const channels = out.consumers.map((c) =>
        this.output.createChannel(channelId(d.jobId, d.attempt, d.vertexId, d.subtaskIndex, c.vertexId, c.subtaskIndex)),
      );
      const keySelector = out.keySelector ? this.userFunction<(r: unknown) => unknown>(out.keySelector) : undefined;
      this.output.addWriter(new RecordWriter(channels, out.partitioning, out.maxParallelism, keySelector, d.subtaskIndex));
    }
    for (const input of d.inputs) {
      for (const p of input.producers) {
        this.gate.addChannel(channelId(d.jobId, d.attempt, p.vertexId, p.subtaskIndex, d.vertexId, d.subtaskIndex), input.inputIndex);
      }
    }
  }

  private buildChain(): void {
    const d = this.deployment;
    const runtime: RuntimeContext = { jobId: d.jobId, operatorId: d.vertexId, subtaskIndex: d.subtaskIndex, parallelism: d.parallelism, attempt: d.attempt };
    const headKeySelector = d.inputs[0]?.keySelector;
    const keySelector = headKeySelector ? this.userFunction<(r: unknown) => unknown>(headKeySelector) : undefined;
    const output = this.output;
    let next: Emit = (record) => output.emit(record);
    const built: ChainedOperator[] = [];
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
        keySelector: i === 0 ? keySelector : undefined,
        runtime: { ...runtime, operatorId: descriptor.id },
        deadLetters,
        dataDir: this.dataDir,
        cancelled: () => this.cancelled,
      };
      if (i === 0 && descriptor.kind.startsWith('source.')) {
        const emit = next;
        this.source = createSource(ctx, (record) => {
          this.recordsIn++;
          emit(record);
        });
      } else {
        const op = createOperator(ctx, next, () => (this.state ??= new HeapKeyedStateBackend(keyGroupRangeForSubtask(d.subtaskIndex, d.parallelism, d.maxParallelism), d.maxParallelism)));
        built.unshift(op);
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
