// Async I/O (Flink's AsyncFunction, ResultFuture and AsyncRetryStrategy):
// the user function of `AsyncDataStream.unorderedWait/orderedWait` and the
// spec of its operator (the `async.wait` kind's config).
import type { RuntimeContext } from './user-functions.ts';

/**
 * What an async function resolves to (Flink's ResultFuture.complete): an
 * array is zero or more results, `undefined` or `null` none, any other value
 * one result. To emit an array as one record, wrap it: `[array]`.
 */
export type AsyncResult<O> = O | readonly O[] | null | undefined;

/** What an async function and its timeout handler are given besides the record. */
export interface AsyncFunctionContext {
  /** 1 for the first call for a record, 2 for its first retry, and so on. */
  readonly attempt: number;
  /** Aborted once the record timed out: pass it to `fetch` and friends so abandoned requests end. */
  readonly signal: AbortSignal;
  readonly runtime: RuntimeContext;
}

/**
 * Flink's AsyncFunction: called once per record (and once per retry) with
 * up to `capacity` calls in flight per subtask; resolves to the record's
 * results (see {@link AsyncResult}). A rejection is retried under the
 * operator's retry strategy, then handled by its error policy.
 */
export type AsyncFunction<I, O> = (record: I, ctx: AsyncFunctionContext) => Promise<AsyncResult<O>>;

/**
 * Flink's AsyncFunction.timeout: called when a record's requests (retries
 * included) took longer than the operator's timeout; what it returns (or
 * resolves to) is emitted instead. Throwing hands the record to the error
 * policy.
 */
export type AsyncTimeoutHandler<I, O> = (record: I, ctx: AsyncFunctionContext) => AsyncResult<O> | Promise<AsyncResult<O>>;

/** Decides whether a rejected call is retried (NonRecoverableErrors never are). */
export type AsyncRetryPredicate = (error: unknown) => boolean;

/** How an async operator emits: in input order, or as results complete (never across a watermark). */
export type AsyncOutputMode = 'ordered' | 'unordered';

/** The delays between attempts (Flink's fixed-delay and exponential-backoff AsyncRetryStrategy). */
export interface AsyncRetrySpec {
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** Each further delay is the previous one times this (1: fixed delay). */
  multiplier: number;
  /** Upper bound of a delay. */
  maxDelayMs: number;
}

/** The config of an `async.wait` operator. */
export interface AsyncWaitSpec {
  mode: AsyncOutputMode;
  /** Per record, from its first call to its last retry. */
  timeoutMs: number;
  /** Records in flight (issued or holding results not yet emitted) per subtask. */
  capacity: number;
  retry?: AsyncRetrySpec;
}

/** The delay before retry number `retry` (1 for the first retry). */
export function asyncRetryDelayMs(spec: AsyncRetrySpec, retry: number): number {
  return Math.min(spec.maxDelayMs, spec.initialDelayMs * spec.multiplier ** (retry - 1));
}
