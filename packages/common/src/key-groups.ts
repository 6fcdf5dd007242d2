import { ValidationError } from './errors.ts';
import { murmur3String } from './murmur3.ts';

/** Default number of key groups of a job, as in Flink. */
export const DEFAULT_MAX_PARALLELISM = 128;
/** Upper bound on maxParallelism, as in Flink. */
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

/** The contiguous, inclusive range of key groups one subtask owns. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The canonical text of a key: strings as they are, everything else as JSON.
 * Hashing and state addressing both use it, so equal keys land together.
 */
export function keyToString(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return String(key);
  if (key === undefined || key === null) {
    throw new ValidationError('a key selector returned null or undefined: every record needs a key; fix the keyBy function');
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(key) as string | undefined;
  } catch (error) {
    throw new ValidationError(
      `a key selector returned a value that cannot be written as JSON (${(error as Error).message}): return a string, number or plain object from the keyBy function`,
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new ValidationError(`a key selector returned a ${typeof key} that has no JSON form: return a string, number or plain object from the keyBy function`);
  }
  return text;
}

/** A key's group: murmur3 of the key's UTF-8 bytes modulo maxParallelism. */
export function keyGroupForKeyString(key: string, maxParallelism: number): number {
  return murmur3String(key) % maxParallelism;
}

/** The subtask that owns key group `keyGroup`: floor(g * parallelism / maxParallelism). */
export function operatorIndexForKeyGroup(keyGroup: number, parallelism: number, maxParallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups subtask `index` of `parallelism` owns (Flink's arithmetic). */
export function keyGroupRangeForSubtask(index: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  const start = Math.floor((index * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((index + 1) * maxParallelism - 1) / parallelism);
  return { start, end };
}

/** Checks a (parallelism, maxParallelism) pair, naming the fix when it is wrong. */
export function checkParallelism(parallelism: number, maxParallelism: number, what: string): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new ValidationError(`${what}: parallelism must be a whole number >= 1, got ${parallelism}`);
  }
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new ValidationError(`${what}: maxParallelism must be between 1 and ${UPPER_BOUND_MAX_PARALLELISM}, got ${maxParallelism}`);
  }
  if (parallelism > maxParallelism) {
    throw new ValidationError(
      `${what}: parallelism ${parallelism} exceeds maxParallelism ${maxParallelism}; lower the parallelism or raise maxParallelism`,
    );
  }
}
