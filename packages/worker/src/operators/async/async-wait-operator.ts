// The async wait operator (Flink's AsyncWaitOperator): calls the user's
// async function for up to `capacity` records at once, emits their results
// per batch in the task's loop, holds watermarks behind the records before
// them, and keeps what is in flight in its checkpoints.
import { isNonRecoverable, type AsyncFunction, type AsyncRetryPredicate, type AsyncTimeoutHandler, type AsyncWaitSpec } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../../runtime/operator.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { userFunctionDeadLetter } from '../../stream-task/error-policy.ts';
import { AsyncCalls, AsyncTimeoutError } from './async-calls.ts';
import { OrderedQueue, UnorderedQueue, type AsyncEntry, type QueueOutput, type StreamElementQueue } from './stream-element-queue.ts';

/** How often a wait for results looks whether the task was cancelled. */
const CANCEL_CHECK_MS = 200;

/** A record in flight as checkpoints keep it (its operator list state). */
interface InFlightRecord {
  asyncInput: unknown;
  /** Event time; null for none (JSON has no NaN). */
  timestamp: number | null;
}

/**
 * `AsyncDataStream.unorderedWait/orderedWait`. `process` only queues a
 * record and starts its call; results are emitted in `endBatch` (after each
 * input frame or source batch) and when the task is woken because results
 * are ready, so output goes out in batches. At most `capacity` records are
 * called or waiting to be emitted; the records of an input frame beyond
 * that wait here, and `endBatch` returns (the task reads on) only once they
 * are called. Every watermark the task would send goes through the queue:
 * it leaves after the records that came before it.
 */
export function asyncWaitOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const spec = ctx.descriptor.config.asyncWait as AsyncWaitSpec;
  const { capacity } = spec;
  const time = ctx.time;
  const deadLetter = ctx.descriptor.config.onError === 'dead-letter';
  const queue: StreamElementQueue = spec.mode === 'ordered' ? new OrderedQueue() : new UnorderedQueue();
  /** Records (and watermarks after them) taken in but not yet called: at most one input frame's, or a restore's. */
  let waiting: (AsyncEntry | number)[] = [];
  let waitingHead = 0;
  let progress: (() => void) | undefined;
  let wakeRequested = false;

  const calls = new AsyncCalls({
    fn: ctx.fn as AsyncFunction<unknown, unknown>,
    timeoutHandler: ctx.functions.timeout as AsyncTimeoutHandler<unknown, unknown> | undefined,
    timeoutMs: spec.timeoutMs,
    retry: spec.retry,
    retryIf: ctx.functions.retryIf as AsyncRetryPredicate | undefined,
    runtime: ctx.runtime,
    count: (name) => ctx.count(name),
    onComplete(entry) {
      queue.complete(entry);
      const resolve = progress;
      progress = undefined;
      resolve?.();
      if (!wakeRequested) {
        wakeRequested = true;
        ctx.wakeTask();
      }
    },
  });

  const output: QueueOutput = {
    entry(entry) {
      if (entry.results) {
        time.timestamp = entry.timestamp;
        for (const result of entry.results) next(result);
        return;
      }
      const error = entry.error;
      if (!deadLetter || isNonRecoverable(error)) throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
      const letter = userFunctionDeadLetter(ctx.descriptor, ctx.runtime.subtaskIndex, entry.record, error);
      ctx.deadLetters.write(error instanceof AsyncTimeoutError ? { ...letter, reason: `async call timed out after ${spec.timeoutMs} ms` } : letter);
    },
    watermark: (watermark) => ctx.emitWatermark(watermark),
  };

  const waitingCount = () => waiting.length - waitingHead;

  /** Calls waiting records while there is room. */
  const issue = () => {
    while (waitingHead < waiting.length && queue.size < capacity) {
      const item = waiting[waitingHead++]!;
      if (typeof item === 'number') queue.addWatermark(item);
      else {
        queue.add(item);
        calls.start(item);
      }
    }
    if (waitingHead === waiting.length) {
      waiting = [];
      waitingHead = 0;
    }
  };

  /** Resolves at the next completion, or after a while so that a cancelled task stops waiting for calls that hang. */
  const completion = () =>
    ctx.waitIdle(
      new Promise<void>((resolve) => {
        const tick = setTimeout(resolve, CANCEL_CHECK_MS);
        progress = () => {
          clearTimeout(tick);
          resolve();
        };
      }),
    );

  return {
    open() {
      for (const item of ctx.restoredState ?? []) {
        const { asyncInput, timestamp } = item as InFlightRecord;
        waiting.push(calls.entry(asyncInput, timestamp ?? Number.NaN));
      }
      issue();
    },
    process(record) {
      const entry = calls.entry(record, time.timestamp);
      if (waitingCount() === 0 && queue.size < capacity) {
        queue.add(entry);
        calls.start(entry);
      } else waiting.push(entry);
    },
    processWatermark(watermark) {
      if (waitingCount() > 0) waiting.push(watermark);
      else queue.addWatermark(watermark);
      // With nothing before it the watermark goes at once; else after those records, from endBatch.
      if (queue.size === 0 && waitingCount() === 0) queue.drain(output);
    },
    async endBatch() {
      wakeRequested = false;
      for (;;) {
        queue.drain(output);
        issue();
        if (waitingCount() === 0 || ctx.cancelled()) return;
        await completion();
      }
    },
    async finish() {
      for (;;) {
        queue.drain(output);
        issue();
        if ((queue.size === 0 && waitingCount() === 0) || ctx.cancelled()) return;
        await completion();
      }
    },
    snapshotState(): InFlightRecord[] {
      const entries = [...queue.entries()];
      for (let i = waitingHead; i < waiting.length; i++) {
        const item = waiting[i]!;
        if (typeof item !== 'number') entries.push(item);
      }
      return entries.map((e) => ({ asyncInput: e.record, timestamp: Number.isNaN(e.timestamp) ? null : e.timestamp }));
    },
    close() {
      calls.close();
    },
  };
}
