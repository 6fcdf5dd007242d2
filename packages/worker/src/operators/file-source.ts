import { open, type FileHandle } from 'node:fs/promises';
import type { Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';

const CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads a text or JSON-lines file. With parallelism p, subtask k reads the
 * lines that start in bytes [k*size/p, (k+1)*size/p). A JSON line that does not
 * parse goes to the dead-letter output with the reason, file and line offset.
 */
export function fileSource(ctx: OperatorContext, next: Emit): SourceOperator {
  const path = ctx.descriptor.config.path as string;
  const json = ctx.descriptor.config.format === 'jsonl';
  const { subtaskIndex, parallelism } = ctx.runtime;
  const decoder = new TextDecoder();
  let handle: FileHandle | undefined;
  let position = 0; // byte offset of the next unread line
  let end = 0;
  let carry: Uint8Array = new Uint8Array(0);
  let eof = false;
  const lines: { text: string; offset: number }[] = [];

  async function fill(): Promise<void> {
    const buffer = new Uint8Array(CHUNK_BYTES);
    const readAt = position + carry.length;
    const { bytesRead } = await handle!.read(buffer, 0, CHUNK_BYTES, readAt);
    let data = carry.length > 0 ? concat(carry, buffer.subarray(0, bytesRead)) : buffer.subarray(0, bytesRead);
    if (bytesRead === 0) {
      eof = true;
      if (data.length > 0 && position < end) lines.push({ text: decoder.decode(data), offset: position });
      carry = new Uint8Array(0);
      return;
    }
    let start = 0;
    let offset = position;
    for (;;) {
      const nl = data.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (offset >= end) {
        eof = true;
        break;
      }
      lines.push({ text: decoder.decode(data.subarray(start, nl > start && data[nl - 1] === 0x0d ? nl - 1 : nl)), offset });
      offset += nl + 1 - start;
      start = nl + 1;
    }
    position = offset;
    carry = eof ? new Uint8Array(0) : data.slice(start);
    data = new Uint8Array(0);
  }

  return {
    async open() {
      try {
        handle = await open(path, 'r');
      } catch (error) {
        throw new Error(`cannot open input file ${path}: ${(error as Error).message}; check the path passed to the job`, { cause: error });
      }
      const size = (await handle.stat()).size;
      const begin = Math.floor((size * subtaskIndex) / parallelism);
      end = Math.floor((size * (subtaskIndex + 1)) / parallelism);
      position = begin;
      if (begin > 0) {
        // The line that straddles `begin` belongs to the previous split: skip to the next line start.
        const probe = new Uint8Array(1);
        await handle.read(probe, 0, 1, begin - 1);
        if (probe[0] !== NEWLINE) {
          const skip = await skipToNextLine(handle, begin);
          position = skip;
        }
      }
      if (position >= end) eof = true;
    },
    async emitBatch(max) {
      while (lines.length < max && !eof) await fill();
      const batch = lines.splice(0, max);
      for (const line of batch) {
        if (!json) {
          next(line.text);
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
        next(value);
      }
      return !(eof && lines.length === 0);
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
