import { InvalidJobError } from '@weir/common';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PART_SIZE_BYTES, fileSinkConfig } from './file-sink-options.ts';

describe('writeToFile options', () => {
  it("defaults to Flink's 128 MiB parts, no age limit, part-<subtask>-<n>.jsonl names", () => {
    expect(fileSinkConfig('/out', {})).toEqual({
      directory: '/out',
      format: 'jsonl',
      maxPartSizeBytes: DEFAULT_MAX_PART_SIZE_BYTES,
      rolloverIntervalMs: null,
      partPrefix: 'part',
      partSuffix: '.jsonl',
    });
    expect(fileSinkConfig('/out', { format: 'text' }).partSuffix).toBe('.txt');
    expect(fileSinkConfig('/out', { rollingPolicy: { maxPartSizeBytes: 1024, rolloverIntervalMs: 60_000 }, partPrefix: 'orders', partSuffix: '' })).toMatchObject({
      maxPartSizeBytes: 1024,
      rolloverIntervalMs: 60_000,
      partPrefix: 'orders',
      partSuffix: '',
    });
  });

  it('refuses options that cannot work, naming the option', () => {
    expect(() => fileSinkConfig('/out', { rollingPolicy: { maxPartSizeBytes: 0 } })).toThrow(new InvalidJobError('writeToFile: rollingPolicy.maxPartSizeBytes must be a positive number, got 0'));
    expect(() => fileSinkConfig('/out', { rollingPolicy: { rolloverIntervalMs: Number.NaN } })).toThrow('rollingPolicy.rolloverIntervalMs');
    expect(() => fileSinkConfig('/out', { partPrefix: '../x' })).toThrow("writeToFile: partPrefix '../x' cannot be used in a file name");
    expect(() => fileSinkConfig('/out', { partPrefix: '' })).toThrow('partPrefix');
    expect(() => fileSinkConfig('/out', { format: 'csv' as 'text' })).toThrow("format must be 'jsonl' or 'text'");
  });
});
