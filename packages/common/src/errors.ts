/**
 * Base of Weir's errors. `retryable` says whether trying the same thing again
 * later may succeed (a peer not up yet) or not (an invalid job).
 */
export class WeirError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeirError';
    this.retryable = options.retryable ?? false;
  }
}

/** A job that cannot be built, validated or scheduled as written. */
export class InvalidJobError extends WeirError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'InvalidJobError';
  }
}

/**
 * The cluster cannot give a job the slots it needs (Flink's
 * NoResourceAvailableException). Not retryable: a JobMaster fails the job
 * with it instead of restarting.
 */
export class NoResourceAvailableError extends WeirError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NoResourceAvailableError';
  }
}

/** Input from a user or a peer that does not match what was expected. */
export class ValidationError extends WeirError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

/** The text of an error for a user: its stack when there is one, with causes. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    let text = error.stack ?? `${error.name}: ${error.message}`;
    // An error that embeds its cause's stack (a user function's failure) says it once.
    const causeInStack = (error as { causeInStack?: boolean }).causeInStack === true;
    if (error.cause !== undefined && !causeInStack) text += `\nCaused by: ${describeError(error.cause)}`;
    return text;
  }
  return String(error);
}
