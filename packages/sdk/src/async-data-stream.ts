// Async I/O (Flink's AsyncDataStream): enriches a stream with calls to an
// external service, many in flight per subtask, with timeouts, retries and
// checkpoints that re-issue what was in flight.
import { ValidationError, type AsyncFunction, type AsyncOutputMode, type AsyncRetryPredicate, type AsyncRetrySpec, type AsyncTimeoutHandler, type AsyncWaitSpec } from '@weir/common';
import type { DataStream } from './data-stream.ts';

/** A retry strategy for async calls (Flink's AsyncRetryStrategy); build one with {@link AsyncRetryStrategies}. */
export interface AsyncRetryStrategy {
  /** @internal */
  readonly spec: AsyncRetrySpec;
  /** @internal */
  readonly retryIf: AsyncRetryPredicate | undefined;
}

/** Options of {@link AsyncDataStream.unorderedWait} and {@link AsyncDataStream.orderedWait}. */
export interface AsyncWaitOptions<I, O> {
  /**
   * Called for a record whose calls took longer than the timeout (Flink's
   * AsyncFunction.timeout); its result is emitted instead. Without it a
   * timed-out record is an error: a dead letter under
   * `.onError('dead-letter')`, else the task fails and the restart strategy
   * applies.
   */
  timeout?: AsyncTimeoutHandler<I, O>;
  /** Retries rejected calls (within the timeout); see {@link AsyncRetryStrategies}. Default: none. */
  retry?: AsyncRetryStrategy;
}

/** Options of the strategies of {@link AsyncRetryStrategies}. */
export interface AsyncRetryOptions {
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Retries only the errors for which this returns true (default: every error but a NonRecoverableError). */
  retryIf?: AsyncRetryPredicate;
}

/** Retry strategies for async calls (Flink's AsyncRetryStrategies). */
export const AsyncRetryStrategies = {
  /** Up to `maxAttempts` attempts, `delayMs` apart. */
  fixedDelay(options: AsyncRetryOptions & { delayMs: number }): AsyncRetryStrategy {
    return strategy(options, { initialDelayMs: options.delayMs, multiplier: 1, maxDelayMs: options.delayMs });
  },
  /** Up to `maxAttempts` attempts; the delays start at `initialDelayMs` and grow by `multiplier` (default 2) up to `maxDelayMs`. */
  exponentialBackoff(options: AsyncRetryOptions & { initialDelayMs: number; maxDelayMs: number; multiplier?: number }): AsyncRetryStrategy {
    return strategy(options, { initialDelayMs: options.initialDelayMs, multiplier: options.multiplier ?? 2, maxDelayMs: options.maxDelayMs });
  },
};

function strategy(options: AsyncRetryOptions, delays: Omit<AsyncRetrySpec, 'maxAttempts'>): AsyncRetryStrategy {
  const { maxAttempts, retryIf } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new ValidationError(`an async retry strategy takes maxAttempts >= 1 (the first attempt included), got ${String(maxAttempts)}`);
  for (const [name, value] of Object.entries(delays)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ValidationError(`an async retry strategy takes a finite ${name} >= 0, got ${String(value)}`);
  }
  if (delays.multiplier < 1) throw new ValidationError(`exponentialBackoff() takes a multiplier >= 1, got ${delays.multiplier}`);
  if (delays.maxDelayMs < delays.initialDelayMs) throw new ValidationError(`exponentialBackoff() takes maxDelayMs >= initialDelayMs, got ${delays.maxDelayMs} < ${delays.initialDelayMs}`);
  if (retryIf !== undefined && typeof retryIf !== 'function') throw new ValidationError('retryIf takes a function (error) => boolean');
  return { spec: { maxAttempts, ...delays }, retryIf };
}

/**
 * Async I/O (Flink's AsyncDataStream): `fn(record, ctx)` returns a promise
 * of the record's results, and up to `capacity` records per subtask are in
 * flight at once; when that many are, the subtask reads no more input
 * (backpressure). Each record has `timeoutMs` from its first call to its
 * last retry. Records in flight at a checkpoint are part of it and are
 * called again after a restore, so with a transactional sink each result is
 * written exactly once. What the results carry as event time is their
 * record's.
 *
 * ```ts
 * const enriched = AsyncDataStream.unorderedWait(events, async (e, ctx) => {
 *   const res = await fetch(`${service}/users/${e.user}`, { signal: ctx.signal });
 *   return { ...e, user: await res.json() };
 * }, 1000, 100).uid('enrich').onError('dead-letter');
 * ```
 */
export const AsyncDataStream = {
  /**
   * Emits each record's results as soon as they complete, in any order
   * between two watermarks; no result passes a watermark that came before
   * its record (watermarks are barriers to reordering).
   */
  unorderedWait<I, O>(stream: DataStream<I>, fn: AsyncFunction<I, O>, timeoutMs: number, capacity: number, options: AsyncWaitOptions<I, O> = {}): DataStream<O> {
    return asyncWait('unordered', stream, fn, timeoutMs, capacity, options);
  },

  /** Emits results in the order of the records, watermarks in their place among them. */
  orderedWait<I, O>(stream: DataStream<I>, fn: AsyncFunction<I, O>, timeoutMs: number, capacity: number, options: AsyncWaitOptions<I, O> = {}): DataStream<O> {
    return asyncWait('ordered', stream, fn, timeoutMs, capacity, options);
  },
};

function asyncWait<I, O>(mode: AsyncOutputMode, stream: DataStream<I>, fn: AsyncFunction<I, O>, timeoutMs: number, capacity: number, options: AsyncWaitOptions<I, O>): DataStream<O> {
  const call = `${mode}Wait()`;
  if (typeof fn !== 'function') throw new ValidationError(`${call} takes an async function (record, ctx) => Promise<result | result[]>`);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ValidationError(`${call} takes a timeout in ms, an integer >= 1, got ${String(timeoutMs)}`);
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 100_000) throw new ValidationError(`${call} takes a capacity (records in flight per subtask) from 1 to 100000, got ${String(capacity)}`);
  if (options.timeout !== undefined && typeof options.timeout !== 'function') throw new ValidationError(`${call}: options.timeout takes a function (record, ctx) => result | result[]`);
  if (options.retry !== undefined && (typeof options.retry !== 'object' || !('spec' in options.retry))) {
    throw new ValidationError(`${call}: options.retry takes a strategy of AsyncRetryStrategies, e.g. AsyncRetryStrategies.fixedDelay({ maxAttempts: 3, delayMs: 100 })`);
  }
  const spec: AsyncWaitSpec = { mode, timeoutMs, capacity, ...(options.retry ? { retry: options.retry.spec } : {}) };
  const functions: Record<string, unknown> = {};
  if (options.timeout) functions.timeout = options.timeout;
  if (options.retry?.retryIf) functions.retryIf = options.retry.retryIf;
  return stream.transform<O>('async.wait', mode === 'ordered' ? 'AsyncWait(ordered)' : 'AsyncWait', fn, { asyncWait: spec }, Object.keys(functions).length > 0 ? functions : undefined);
}
