import { describe, expect, it } from 'vitest';
import { userStack } from './user-stack.ts';

const runtime = 'file:///srv/weir/worker/.slot-cache/slot-thread.mjs';

function failure(stack: string[]): Error {
  const error = new Error('record 500 is poisoned');
  error.stack = ['Error: record 500 is poisoned', ...stack].join('\n');
  return error;
}

describe('userStack', () => {
  it("keeps the user's frames and drops the runtime's: the operator that called the user and everything below it", () => {
    const cause = failure([
      '    at checkRecord (/home/me/job/src/job.ts:5:24)',
      '    at <anonymous> (/home/me/job/src/job.ts:13:17)',
      `    at process (${runtime}:3154:15)`,
      `    at ${runtime}:3357:13`,
      `    at Object.emitBatch (${runtime}:2066:11)`,
      `    at StreamTask.runSource (${runtime}:3888:33)`,
    ]);
    const catchSite = ['Error', `    at process (${runtime}:3156:13)`, `    at ${runtime}:3357:13`, `    at Object.emitBatch (${runtime}:2066:11)`, `    at StreamTask.runSource (${runtime}:3888:33)`].join('\n');
    expect(userStack(cause, catchSite).split('\n')).toEqual([
      'Error: record 500 is poisoned',
      '    at checkRecord (/home/me/job/src/job.ts:5:24)',
      '    at <anonymous> (/home/me/job/src/job.ts:13:17)',
    ]);
  });

  it('keeps the user frames of a stack cut off before the runtime (stackTraceLimit)', () => {
    const deep = Array.from({ length: 10 }, (_, i) => `    at recurse (/home/me/job/src/job.ts:${20 + i}:3)`);
    const catchSite = ['Error', `    at process (${runtime}:3156:13)`, `    at ${runtime}:3357:13`].join('\n');
    expect(userStack(failure(deep), catchSite).split('\n')).toHaveLength(11);
  });

  it('returns a stack it cannot relate to the catch site whole', () => {
    const cause = failure(['    at somewhere (/elsewhere/x.js:1:1)']);
    expect(userStack(cause, 'Error\n    at other (/other.js:2:2)')).toBe(cause.stack);
    const noFrames = new Error('no frames');
    noFrames.stack = 'Error: no frames';
    expect(userStack(noFrames, '')).toBe('Error: no frames');
  });
});
