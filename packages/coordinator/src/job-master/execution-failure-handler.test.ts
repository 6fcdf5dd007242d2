import { describe, expect, it } from 'vitest';
import { ExecutionFailureHandler } from './execution-failure-handler.ts';

describe('ExecutionFailureHandler', () => {
  it('restarts while the strategy allows, then names the strategy and the last error', () => {
    const handler = new ExecutionFailureHandler({ type: 'fixed-delay', attempts: 2, delayMs: 1000 });
    expect(handler.handle('boom 1', false, 0)).toEqual({ restart: true, delayMs: 1000 });
    expect(handler.handle('boom 2', false, 1)).toEqual({ restart: true, delayMs: 1000 });
    expect(handler.handle('boom 3', false, 2)).toEqual({
      restart: false,
      error: 'the job failed after 2 restarts: restart strategy fixed-delay:attempts=2,delay=1s allows no more; the last error:\nboom 3',
    });
  });

  it('never restarts a non-recoverable failure, and does not count it', () => {
    const handler = new ExecutionFailureHandler({ type: 'fixed-delay', attempts: 1, delayMs: 0 });
    expect(handler.handle('file gone', true, 0)).toEqual({ restart: false, error: 'the job failed with an error no restart can cure, so it was not restarted:\nfile gone' });
    expect(handler.handle('flaky', false, 0).restart).toBe(true);
  });

  it("says so when the strategy is 'none'", () => {
    expect(new ExecutionFailureHandler({ type: 'none' }).handle('boom', false, 0)).toEqual({ restart: false, error: "the job failed and its restart strategy is 'none'; the error:\nboom" });
  });
});
