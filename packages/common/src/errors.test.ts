import { describe, expect, it } from 'vitest';
import { InvalidJobError, isNonRecoverable, NonRecoverableError, ValidationError } from './errors.ts';

describe('isNonRecoverable', () => {
  it('recognizes a NonRecoverableError and its subclasses, also as the cause of another error', () => {
    expect(isNonRecoverable(new NonRecoverableError('gone'))).toBe(true);
    expect(isNonRecoverable(new InvalidJobError('bad job'))).toBe(true);
    expect(isNonRecoverable(new Error('wrapped', { cause: new Error('twice', { cause: new NonRecoverableError('gone') }) }))).toBe(true);
  });

  it('recognizes a copy of the class from another bundle by its flag', () => {
    class CopiedNonRecoverableError extends Error {
      readonly nonRecoverable = true;
    }
    expect(isNonRecoverable(new Error('user function threw', { cause: new CopiedNonRecoverableError('from a job bundle') }))).toBe(true);
  });

  it('takes other errors as recoverable', () => {
    expect(isNonRecoverable(new Error('flaky'))).toBe(false);
    expect(isNonRecoverable(new ValidationError('bad input'))).toBe(false);
    expect(isNonRecoverable('a string')).toBe(false);
    expect(isNonRecoverable(undefined)).toBe(false);
  });
});
