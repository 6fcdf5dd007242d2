// Polling until a condition holds, with a deadline and a message that says
// what was awaited.
import { WeirError } from '@weir/common';
import { sleep, type JobStatusView } from '@weir/protocol';

/**
 * Calls `check` every `intervalMs` until it returns something other than
 * undefined, and resolves with that. Throws after `timeoutMs`, naming `what`
 * and the last error `check` threw, if any.
 */
export async function eventually<T>(check: () => Promise<T | undefined>, options: { timeoutMs: number; what: string; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof JobEndedError) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new TimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`, lastError);
    }
    await sleep(options.intervalMs ?? 200);
  }
}

/** Something a test waited for did not happen in time. */
export class TimeoutError extends WeirError {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause });
    this.name = 'TimeoutError';
  }
}

/** A job ended (FAILED, CANCELED, or FINISHED before what was awaited); `status` is how it ended. */
export class JobEndedError extends WeirError {
  /** The job's final status view. */
  readonly status: JobStatusView;
  constructor(message: string, status: JobStatusView) {
    super(message);
    this.name = 'JobEndedError';
    this.status = status;
  }
}
