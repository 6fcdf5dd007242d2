import { InvalidJobError } from '@weir/common';

/**
 * When the file sink rolls its current part file over to a new one (Flink's
 * DefaultRollingPolicy). With checkpoints a part file is also always closed
 * at each checkpoint: it becomes visible, renamed into the directory, when
 * that checkpoint completes.
 */
export interface RollingPolicy {
  /** Roll when the part reaches this many bytes (default 128 MiB). */
  maxPartSizeBytes?: number;
  /** Roll when the part has been open this long, checked as records arrive (default: never, only by size and checkpoint). */
  rolloverIntervalMs?: number;
}

/** Options of `DataStream.writeToFile`. */
export interface FileSinkOptions {
  /** `jsonl` (default): one JSON document per line; `text`: each record as a string per line. */
  format?: 'jsonl' | 'text';
  rollingPolicy?: RollingPolicy;
  /** Part file names start with this (default `part`; Flink's OutputFileConfig part prefix). */
  partPrefix?: string;
  /** Part file names end with this (default `.jsonl` or `.txt` by format). */
  partSuffix?: string;
}

/** The default part size at which the file sink rolls over (Flink's default). */
export const DEFAULT_MAX_PART_SIZE_BYTES = 128 * 1024 * 1024;

function positive(name: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isFinite(value) || value <= 0) throw new InvalidJobError(`writeToFile: ${name} must be a positive number, got ${value}`);
  return value;
}

function namePart(name: string, value: string, allowEmpty: boolean): string {
  if ((!allowEmpty && value === '') || /[/\\\0]/.test(value)) {
    throw new InvalidJobError(`writeToFile: ${name} '${value}' cannot be used in a file name: give it without '/', '\\' or NUL${allowEmpty ? '' : ', and not empty'}`);
  }
  return value;
}

/** The sink's config in the JobGraph, validated: bad options fail the job's build with the option's name. */
export function fileSinkConfig(directory: string, options: FileSinkOptions): Record<string, unknown> {
  const format = options.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'text') throw new InvalidJobError(`writeToFile: format must be 'jsonl' or 'text', got '${String(format)}'`);
  const rolling = options.rollingPolicy ?? {};
  return {
    directory,
    format,
    maxPartSizeBytes: positive('rollingPolicy.maxPartSizeBytes', rolling.maxPartSizeBytes) ?? DEFAULT_MAX_PART_SIZE_BYTES,
    rolloverIntervalMs: positive('rollingPolicy.rolloverIntervalMs', rolling.rolloverIntervalMs),
    partPrefix: namePart('partPrefix', options.partPrefix ?? 'part', false),
    partSuffix: namePart('partSuffix', options.partSuffix ?? (format === 'text' ? '.txt' : '.jsonl'), true),
  };
}
