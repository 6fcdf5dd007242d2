// The calls of the async wait operator for its records: the user's async
// function, retries under the retry strategy, one deadline per record (its
// timeout, retries included) and the timeout handler.
import {
  asyncRetryDelayMs,
  isNonRecoverable,
  type AsyncFunction,
  type AsyncFunctionContext,
  type AsyncResult,
  type AsyncRetryPredicate,
  type AsyncRetrySpec,
  type AsyncTimeoutHandler,
  type RuntimeContext,
} from '@weir/common/runtime';
import type { AsyncEntry } from './stream-element-queue.ts';

/** A record whose calls took longer than the operator's timeout, and no timeout handler took it. */
export class AsyncTimeoutError extends Error {
  constructor(timeoutMs: number, attempts: number) {
    super(
      `async call timed out after ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'}): give the operator a longer timeout, a timeout handler (options.timeout) or .onError('dead-letter')`,
    );
    this.name = 'AsyncTimeoutError';
  }
}

/** What the calls need from their operator. */
export interface AsyncCallsOptions {
  readonly fn: AsyncFunction<unknown, unknown>;
  readonly timeoutHandler: AsyncTimeoutHandler<unknown, unknown> | undefined;
  readonly timeoutMs: number;
  readonly retry: AsyncRetrySpec | undefined;
  readonly retryIf: AsyncRetryPredicate | undefined;
  readonly runtime: RuntimeContext;
  /** An entry is done: its results or its error are set. */
  onComplete(entry: AsyncEntry): void;
  count(name: 'asyncRetries' | 'asyncTimeouts'): void;
}

/** One record's calls: an entry of the operator's queue. */
class AsyncCall implements AsyncEntry, AsyncFunctionContext {
  results: readonly unknown[] | undefined;
  error: unknown;
  done = false;
  /** No more attempts count: timed out, failed for good, or the operator closed. */
  settled = false;
  attempt = 0;
  deadline = 0;
  retryTimer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  readonly record: unknown;
  readonly timestamp: number;
  readonly runtime: RuntimeContext;

  constructor(record: unknown, timestamp: number, runtime: RuntimeContext) {
    this.record = record;
    this.timestamp = timestamp;
    this.runtime = runtime;
  }

  /** Made on first use: most calls never look at it. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  abort(reason: Error): void {
    clearTimeout(this.retryTimer);
    this.controller?.abort(reason);
  }
}

function resultsOf(value: AsyncResult<unknown>): readonly unknown[] {
  if (Array.isArray(value)) return value as readonly unknown[];
  return value === undefined || value === null ? [] : [value];
}

/**
 * Starts and retries the calls of the operator's records and times them
 * out. Timeouts need one timer: every record has the same timeout, so the
 * deadlines of records in call order never decrease.
 */
export class AsyncCalls {
  private readonly options: AsyncCallsOptions;
  /** Calls in the order they started; done ones are skipped and compacted away. */
  private deadlines: AsyncCall[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: AsyncCallsOptions) {
    this.options = options;
  }

  /** A new entry for `record` (not called yet). */
  entry(record: unknown, timestamp: number): AsyncEntry {
    return new AsyncCall(record, timestamp, this.options.runtime);
  }

  /** Makes the first call for `entry`; its deadline starts now. */
  start(entry: AsyncEntry): void {
    const call = entry as AsyncCall;
    call.deadline = performance.now() + this.options.timeoutMs;
    this.deadlines.push(call);
    if (this.deadlines.length - this.head > 4096 && this.head * 2 > this.deadlines.length) this.compact();
    if (this.timer === undefined) this.arm(call.deadline);
    this.attempt(call);
  }

  /** Stops every timer; calls still running are aborted and their outcomes ignored. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (let i = this.head; i < this.deadlines.length; i++) {
      const call = this.deadlines[i]!;
      call.settled = true;
      call.abort(new Error('the async operator closed'));
    }
    this.deadlines = [];
  }

  private attempt(call: AsyncCall): void {
    call.attempt++;
    let pending: Promise<AsyncResult<unknown>>;
    try {
      pending = Promise.resolve(this.options.fn(call.record, call));
    } catch (error) {
      pending = Promise.reject(error);
    }
    const attempt = call.attempt;
    pending.then(
      (value) => {
        if (!call.settled && call.attempt === attempt) this.finish(call, resultsOf(value), undefined);
      },
      (error: unknown) => {
        if (!call.settled && call.attempt === attempt) this.failed(call, error);
      },
    );
  }

  private failed(call: AsyncCall, error: unknown): void {
    const retry = this.options.retry;
    const retryable = retry !== undefined && call.attempt < retry.maxAttempts && !isNonRecoverable(error) && this.retryable(error);
    if (retryable === true) {
      this.options.count('asyncRetries');
      call.retryTimer = setTimeout(() => {
        call.retryTimer = undefined;
        if (!call.settled) this.attempt(call);
      }, asyncRetryDelayMs(retry!, call.attempt));
      return;
    }
    if (retryable instanceof Error) error = retryable;
    this.finish(call, undefined, error);
  }

  /** The retry predicate's verdict, or the error it threw (which then fails the record). */
  private retryable(error: unknown): boolean | Error {
    const retryIf = this.options.retryIf;
    if (!retryIf) return true;
    try {
      return retryIf(error) === true;
    } catch (thrown) {
      return thrown instanceof Error ? thrown : new Error(String(thrown));
    }
  }

  private finish(call: AsyncCall, results: readonly unknown[] | undefined, error: unknown): void {
    call.settled = true;
    clearTimeout(call.retryTimer);
    if (results) call.results = results;
    else call.error = error;
    call.done = true;
    if (!this.closed) this.options.onComplete(call);
  }

  private arm(at: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - performance.now()) + 1);
  }

  /** Times out every call past its deadline, then waits for the next deadline. */
  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    const calls = this.deadlines;
    while (this.head < calls.length) {
      const call = calls[this.head]!;
      if (!call.settled) {
        if (call.deadline > now) break;
        this.timeOut(call);
      }
      calls[this.head++] = undefined as unknown as AsyncCall;
    }
    if (this.head === calls.length) {
      this.deadlines = [];
      this.head = 0;
    } else if (!this.closed) this.arm(calls[this.head]!.deadline);
  }

  private timeOut(call: AsyncCall): void {
    call.settled = true;
    this.options.count('asyncTimeouts');
    const error = new AsyncTimeoutError(this.options.timeoutMs, call.attempt);
    call.abort(error);
    const handler = this.options.timeoutHandler;
    if (!handler) {
      this.finish(call, undefined, error);
      return;
    }
    let fallback: AsyncResult<unknown> | Promise<AsyncResult<unknown>>;
    try {
      fallback = handler(call.record, call);
    } catch (thrown) {
      this.finish(call, undefined, thrown);
      return;
    }
    Promise.resolve(fallback).then(
      (value) => this.finish(call, resultsOf(value), undefined),
      (thrown: unknown) => this.finish(call, undefined, thrown),
    );
  }

  private compact(): void {
    this.deadlines = this.deadlines.slice(this.head).filter((call) => !call.settled);
    this.head = 0;
  }
}
