import { userStack, type OperatorDescriptor } from '@weir/common/runtime';

/** A user function threw: names the operator and keeps the user's stack (its own frames only, said once). */
export class UserFunctionError extends Error {
  /** The stack already holds the cause's: error descriptions do not repeat it as "Caused by". */
  readonly causeInStack: boolean;
  /** The id (uid) of the operator whose function threw. */
  readonly operatorId: string;

  constructor(descriptor: OperatorDescriptor, subtaskIndex: number, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`user function of operator '${descriptor.name}' (${descriptor.id}), subtask ${subtaskIndex}, threw: ${message}`, { cause });
    this.name = 'UserFunctionError';
    this.operatorId = descriptor.id;
    this.causeInStack = cause instanceof Error && cause.stack !== undefined;
    if (cause instanceof Error && cause.stack) {
      // Where the operator caught the failure: the stack above this constructor.
      const catchSite: { stack?: string } = {};
      Error.captureStackTrace(catchSite, UserFunctionError);
      this.stack = `${this.name}: ${this.message}\n--- user stack ---\n${userStack(cause, catchSite.stack ?? '')}`;
    }
  }
}
