// The `dead-letter` policy of an operator (`.onError('dead-letter')`): a
// record whose user function throws goes to the operator's dead-letter output
// with the error, and the next record is processed.
import { isNonRecoverable, type OperatorDescriptor } from '@weir/common/runtime';
import type { DeadLetter, DeadLetterOutput } from '../runtime/dead-letter-output.ts';
import type { ChainedOperator } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

/** The dead letter of a record whose user function threw `error`. */
export function userFunctionDeadLetter(descriptor: OperatorDescriptor, subtaskIndex: number, record: unknown, error: unknown): DeadLetter {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    reason: `user function threw: ${e.message}`,
    origin: { operator: descriptor.name, uid: descriptor.id, subtask: subtaskIndex },
    raw: rawText(record),
    error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
  };
}

function rawText(record: unknown): string {
  if (typeof record === 'string') return record;
  try {
    return JSON.stringify(record) ?? String(record);
  } catch {
    return String(record);
  }
}

/**
 * Applies the operator's error policy: with `dead-letter`, an error its own
 * user function throws for a record (not one from operators after it in the
 * chain) becomes a dead letter, unless it is a NonRecoverableError. What the
 * function emitted before it threw stays emitted.
 */
export function applyErrorPolicy(op: ChainedOperator, descriptor: OperatorDescriptor, subtaskIndex: number, deadLetters: DeadLetterOutput): ChainedOperator {
  if (descriptor.config.onError !== 'dead-letter') return op;
  const process = op.process;
  op.process = (record) => {
    try {
      process(record);
    } catch (error) {
      // A NonRecoverableError still fails the job: the function says no record can succeed.
      if (!(error instanceof UserFunctionError) || error.operatorId !== descriptor.id || isNonRecoverable(error)) throw error;
      deadLetters.write(userFunctionDeadLetter(descriptor, subtaskIndex, record, error.cause));
    }
  };
  return op;
}
