// The checkpoint storage layout: names that are parsed back read back as written.
import { describe, expect, it } from 'vitest';
import {
  attemptStagingDirectoryName,
  checkpointDirectoryName,
  keyedStateFileStem,
  parseAttemptStagingDirectoryName,
  parseCheckpointDirectoryName,
} from './checkpoint-layout.ts';
import { attemptKeyPrefix, attemptSubtaskKey, subtaskId } from './subtask-keys.ts';

describe('checkpoint layout', () => {
  it('checkpoint directory names parse back to their id, other names to undefined', () => {
    expect(checkpointDirectoryName(42)).toBe('chk-42');
    expect(parseCheckpointDirectoryName(checkpointDirectoryName(42))).toBe(42);
    for (const name of ['chk-', 'chk-4x', '_incremental', 'chk-42.tmp']) expect(parseCheckpointDirectoryName(name)).toBeUndefined();
  });

  it('staging directory names parse back to their attempt', () => {
    expect(parseAttemptStagingDirectoryName(attemptStagingDirectoryName(3, '3xab12'))).toBe(3);
    expect(parseAttemptStagingDirectoryName('stray')).toBeNaN();
  });

  it('file stems keep vertex ids with "/" inside one path segment', () => {
    expect(keyedStateFileStem('a/b', 2)).toBe('keyed-a_b-2');
  });
});

describe('subtask keys', () => {
  it('an attempt subtask key starts with its attempt prefix and ends with its subtask id', () => {
    const key = attemptSubtaskKey('job1', 4, 'v1', 7);
    expect(key).toBe('job1/4/v1#7');
    expect(key.startsWith(attemptKeyPrefix('job1', 4))).toBe(true);
    expect(key.endsWith(subtaskId('v1', 7))).toBe(true);
    expect(key.startsWith(attemptKeyPrefix('job1', 40))).toBe(false);
  });
});
