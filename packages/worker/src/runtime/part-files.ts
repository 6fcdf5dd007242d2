import type { FileHandle } from 'node:fs/promises';
import { writeFully } from '@weir/protocol/runtime';

/** The file sink's settings from its JobGraph config (see the SDK's FileSinkOptions). */
export interface PartFileConfig {
  directory: string;
  text: boolean;
  maxPartSizeBytes: number;
  rolloverIntervalMs: number | null;
  partPrefix: string;
  partSuffix: string;
}

/** Reads the sink's config; graphs made before rolling existed get the defaults. */
export function partFileConfig(config: Record<string, unknown>): PartFileConfig {
  const text = config.format === 'text';
  return {
    directory: config.directory as string,
    text,
    maxPartSizeBytes: (config.maxPartSizeBytes as number | undefined) ?? 128 * 1024 * 1024,
    rolloverIntervalMs: (config.rolloverIntervalMs as number | null | undefined) ?? null,
    partPrefix: (config.partPrefix as string | undefined) ?? 'part',
    partSuffix: (config.partSuffix as string | undefined) ?? (text ? '.txt' : '.jsonl'),
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `<prefix>-<subtask>-<n><suffix>`: the parts of a sink without checkpoints; group 1 is the subtask. */
export function plainPartName(config: Pick<PartFileConfig, 'partPrefix' | 'partSuffix'>): { name(subtask: number, n: number): string; pattern: RegExp } {
  return {
    name: (subtask, n) => `${config.partPrefix}-${subtask}-${n}${config.partSuffix}`,
    pattern: new RegExp(`^${escape(config.partPrefix)}-(\\d+)-\\d+${escape(config.partSuffix)}$`),
  };
}

/**
 * `<prefix>-<subtask>-<attempt token>-<n><suffix>` while in progress, with
 * `-cp<checkpoint>` before the suffix once pre-committed; group 1 is the
 * attempt token, group 2 the checkpoint id.
 */
export function transactionalPartName(config: Pick<PartFileConfig, 'partPrefix' | 'partSuffix'>): {
  inProgress(subtask: number, token: string, n: number): string;
  preCommitted(inProgress: string, checkpointId: number): string;
  pattern: RegExp;
} {
  const suffix = escape(config.partSuffix);
  return {
    inProgress: (subtask, token, n) => `${config.partPrefix}-${subtask}-${token}-${n}${config.partSuffix}`,
    preCommitted: (name, checkpointId) => `${name.slice(0, name.length - config.partSuffix.length)}-cp${checkpointId}${config.partSuffix}`,
    pattern: new RegExp(`^${escape(config.partPrefix)}-\\d+-([0-9a-z]+)-\\d+(?:-cp(\\d+))?${suffix}$`),
  };
}

/** The part being written: its handle, bytes and age, and whether the rolling policy closes it before the next write. */
export class OpenPart {
  readonly name: string;
  readonly handle: FileHandle;
  bytes = 0;
  private readonly openedAt = Date.now();

  constructor(name: string, handle: FileHandle) {
    this.name = name;
    this.handle = handle;
  }

  /** Rolls once the part holds something and is full or old; a batch is never split over two parts. */
  shouldRoll(config: Pick<PartFileConfig, 'maxPartSizeBytes' | 'rolloverIntervalMs'>, now = Date.now()): boolean {
    if (this.bytes === 0) return false;
    if (this.bytes >= config.maxPartSizeBytes) return true;
    return config.rolloverIntervalMs !== null && now - this.openedAt >= config.rolloverIntervalMs;
  }

  /** Writes every byte of `chunk` (FileHandle.write may write fewer; see writeFully), in the file named `path`. */
  async write(chunk: string, path: string): Promise<void> {
    const buffer = Buffer.from(chunk);
    await writeFully(this.handle, buffer, path);
    this.bytes += buffer.length;
  }
}
