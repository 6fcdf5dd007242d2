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

/**
 * A failure that restarting cannot cure (Flink's SuppressRestartsException):
 * a missing input file, a corrupt state file, an invalid job, state that does
 * not fit the job. The job fails at once with this reason, whatever its
 * restart strategy. User functions may throw it too. It is recognized by its
 * `nonRecoverable` flag (see {@link isNonRecoverable}), which survives copies
 * of this class in job bundles, and crosses the slot-thread and gRPC
 * boundaries as a flag beside the failure's text.
 */
export class NonRecoverableError extends WeirError {
  readonly nonRecoverable = true;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'NonRecoverableError';
  }
}

/** Whether `error`, or an error in its chain of causes, is a NonRecoverableError. */
export function isNonRecoverable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if ((e as { nonRecoverable?: unknown }).nonRecoverable === true) return true;
  }
  return false;
}

/**
 * A state in a checkpoint or savepoint that the job cannot read as it is
 * declared now (Flink's StateMigrationException): another kind, another
 * serializer, or another schema version without a migration. No restart
 * cures it: the job fails at once.
 */
export class StateMigrationError extends NonRecoverableError {
  /** The operator's uid (its id in the job graph). */
  readonly operatorUid: string;
  readonly stateName: string;
  constructor(operatorUid: string, stateName: string, message: string) {
    super(message);
    this.name = 'StateMigrationError';
    this.operatorUid = operatorUid;
    this.stateName = stateName;
  }
}

/** A job that cannot be built, validated or scheduled as written (never cured by a restart). */
export class InvalidJobError extends NonRecoverableError {
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
