// Reading the records of `etcd-records.ts` back from etcd: every reader
// parses them here, with errors that name the key and what is wrong.
import { ValidationError } from '@weir/common';
import type { CheckpointPointer } from './etcd-records.ts';

/**
 * Parses a JSON record read at `key`. The shape is trusted (Weir wrote it);
 * only unreadable JSON is refused.
 * @throws ValidationError naming the key when the text is not JSON.
 */
export function parseEtcdRecord<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ValidationError(`the record at etcd key ${key} is not JSON (${(error as Error).message}); delete or rewrite it`, { cause: error });
  }
}

/** The text Weir stores for a record. */
export function encodeEtcdRecord(record: unknown): string {
  return JSON.stringify(record);
}

/**
 * Parses a checkpoint id counter (`checkpoints/<jobId>/counter`: a decimal).
 * @throws ValidationError when it is not a whole number.
 */
export function parseCheckpointCounter(key: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`the checkpoint counter at ${key} holds ${JSON.stringify(text)}, not a whole number`);
  return value;
}

/**
 * Parses and checks a latest-checkpoint pointer (`checkpoints/<jobId>/latest`).
 * @throws ValidationError when it is not JSON or lacks a field.
 */
export function parseCheckpointPointer(key: string, text: string): CheckpointPointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`the latest-checkpoint pointer at ${key} is not JSON`, { cause: error });
  }
  const p = value as Partial<CheckpointPointer> | null;
  if (p === null || typeof p !== 'object' || !Number.isSafeInteger(p.checkpointId) || typeof p.directory !== 'string' || typeof p.completedAtMs !== 'number') {
    throw new ValidationError(`the latest-checkpoint pointer at ${key} is malformed: ${text.slice(0, 200)}`);
  }
  return { checkpointId: p.checkpointId!, directory: p.directory, completedAtMs: p.completedAtMs };
}
