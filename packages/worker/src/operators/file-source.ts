import { open, type FileHandle } from 'node:fs/promises';
import { NonRecoverableError, type WatermarkStrategySpec } from '@weir/common/runtime';
import type { Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';
import { SplitWatermarks } from '../runtime/time/split-watermarks.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * A byte range of the file: the lines that start in [begin, end), read up to
 * `position` (always the start of the next unread line).
 */
interface FileSplit {
  begin: number;
  end: number;
  position: number;
}

/**
 * Reads a text or JSON-lines file. A fresh job gives subtask k of p the lines
 * that start in bytes [k*size/p, (k+1)*size/p). Its state is each split's
 * position, so it resumes exactly after a checkpoint and splits move between
 * subtasks when the job is restored at another parallelism. A JSON line that
 * does not parse goes to the dead-letter output with the reason, file and
 * byte offset.
 */
/** Errors of open() that a restart cannot cure. */
const PERMANENT_OPEN_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM']);

export function fileSource(ctx: OperatorContext, next: Emit): SourceOperator {
  const path = ctx.descriptor.config.path as string;
  const json = ctx.descriptor.config.format === 'jsonl';
  const { subtaskIndex, parallelism } = ctx.runtime;
  const decoder = new TextDecoder();
  const spec = ctx.descriptor.config.watermarks as WatermarkStrategySpec | undefined;
  // Splits are read one at a time: only the one being read has a watermark generator.
  const watermarks = spec ? new SplitWatermarks(spec, ctx.functions) : undefined;
  const splitId = (s: FileSplit): string => `${s.begin}-${s.end}`;
  /** The id of the split being read (built once per split, not per record). */
  let currentId = '';
  const emit = (value: unknown): void => {
    if (watermarks && current) {
      let timestamp: number;
      try {
        timestamp = watermarks.timestampOf(value);
      } catch (error) {
        throw new UserFunctionError(ctx.descriptor, subtaskIndex, error);
      }
      ctx.time.timestamp = timestamp;
      watermarks.onEvent(currentId, value, timestamp);
    }
    next(value);
  };
  let handle: FileHandle | undefined;
  let splits: FileSplit[] = [];
  let current: FileSplit | undefined;
  /** Byte offset just after the bytes held in `carry`. */
  let readAt = 0;
  let carry: Uint8Array = new Uint8Array(0);
  let splitDone = false;
  const lines: { text: string; offset: number; next: number }[] = [];

  function startSplit(split: FileSplit): void {
    current = split;
    currentId = splitId(split);
    readAt = split.position;
    carry = new Uint8Array(0);
    splitDone = split.position >= split.end;
  }

  /** Reads one chunk of the current split into `lines`. */
  async function fill(): Promise<void> {
    const split = current!;
    const buffer = new Uint8Array(CHUNK_BYTES);
    const { bytesRead } = await handle!.read(buffer, 0, CHUNK_BYTES, readAt);
    readAt += bytesRead;
    const data = carry.length > 0 ? concat(carry, buffer.subarray(0, bytesRead)) : buffer.subarray(0, bytesRead);
    let offset = readAt - data.length;
    if (bytesRead === 0) {
      if (data.length > 0 && offset < split.end) lines.push({ text: decoder.decode(data), offset, next: offset + data.length });
      carry = new Uint8Array(0);
      splitDone = true;
      return;
    }
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (offset >= split.end) {
        splitDone = true;
        break;
      }
      lines.push({ text: decoder.decode(data.subarray(start, nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl)), offset, next: offset + nl + 1 - start });
      offset += nl + 1 - start;
      start = nl + 1;
    }
    if (!splitDone && offset >= split.end) splitDone = true;
    carry = splitDone ? new Uint8Array(0) : data.slice(start);
  }

  return {
    async open() {
      try {
        handle = await open(path, 'r');
      } catch (error) {
        const message = `cannot open input file ${path}: ${(error as Error).message}; check the path passed to the job`;
        // A file that is missing or not readable stays so on a restart; running out of file handles does not.
        if (PERMANENT_OPEN_ERRORS.has((error as NodeJS.ErrnoException).code ?? '')) throw new NonRecoverableError(message, { cause: error });
        throw new Error(message, { cause: error });
      }
      if (ctx.restoredState) {
        splits = (ctx.restoredState as FileSplit[]).map((s) => ({ ...s }));
      } else {
        const size = (await handle.stat()).size;
        const begin = Math.floor((size * subtaskIndex) / parallelism);
        const end = Math.floor((size * (subtaskIndex + 1)) / parallelism);
        // The line that straddles `begin` belongs to the previous split: start at the next line.
        let position = begin;
        if (begin > 0) {
          const probe = new Uint8Array(1);
          await handle.read(probe, 0, 1, begin - 1);
          if (probe[0] !== NEWLINE) position = await skipToNextLine(handle, begin);
        }
        splits = [{ begin, end, position }];
      }
      const first = splits.find((s) => s.position < s.end);
      if (first) startSplit(first);
    },
    async emitBatch(max) {
      while (current && lines.length < max) {
        if (!splitDone) {
          await fill();
          continue;
        }
        if (lines.length > 0) break;
        current.position = current.end;
        watermarks?.removeSplit(splitId(current));
        const following = splits.find((s) => s.position < s.end);
        if (!following) {
          current = undefined;
          break;
        }
        startSplit(following);
      }
      const batch = lines.splice(0, max);
      for (const line of batch) {
        current!.position = line.next;
        if (!json) {
          emit(line.text);
          continue;
        }
        if (line.text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line.text);
        } catch (error) {
          ctx.deadLetters.write({ reason: `invalid JSON: ${(error as Error).message}`, origin: { file: path, byteOffset: line.offset }, raw: line.text });
          continue;
        }
        emit(value);
      }
      if (lines.length === 0 && current && splitDone) {
        // Everything of this split has been emitted: later positions may not re-read it.
        current.position = current.end;
      }
      return current !== undefined && (lines.length > 0 || !splitDone || splits.some((s) => s.position < s.end));
    },
    snapshotState() {
      return splits.map((s) => ({ ...s }));
    },
    ...(watermarks ? { watermark: () => watermarks.current() } : {}),
    splits() {
      return splits.map((s) => ({
        id: `${path}:${splitId(s)}`,
        position: String(s.position),
        ...(watermarks ? { watermark: watermarks.splitWatermark(splitId(s)), idle: watermarks.isIdle(splitId(s)) } : {}),
      }));
    },
    async close() {
      await handle?.close();
    },
  };
}

async function skipToNextLine(handle: FileHandle, from: number): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let at = from;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
    if (bytesRead === 0) return at;
    const nl = buffer.subarray(0, bytesRead).indexOf(NEWLINE);
    if (nl >= 0) return at + nl + 1;
    at += bytesRead;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
