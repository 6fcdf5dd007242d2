import type { OperatorDescriptor } from '@weir/common/runtime';

/** A user function threw: names the operator and keeps the user's stack. */
export class UserFunctionError extends Error {
  /** The id (uid) of the operator whose function threw. */
  readonly operatorId: string;
  constructor(descriptor: OperatorDescriptor, subtaskIndex: number, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`user function of operator '${descriptor.name}' (${descriptor.id}), subtask ${subtaskIndex}, threw: ${message}`, { cause });
    this.name = 'UserFunctionError';
    this.operatorId = descriptor.id;
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n--- user stack ---\n${cause.stack}`;
  }
}
