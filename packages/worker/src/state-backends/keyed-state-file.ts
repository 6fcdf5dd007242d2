import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr, Unpackr } from 'msgpackr';
import { makeDirectoryDurably, syncDirectory, writeFully } from '@weir/protocol/runtime';
import { NonRecoverableError, type KeyGroupRange } from '@weir/common/runtime';
import type { KeyedStateHandle } from './keyed-state-backend.ts';
import { DELETED_STATE_ENTRY, PackedStateValue, unpackStateValue } from './state-value-codec.ts';

/** Entries per msgpack value in the file (and per chunk producers hand over). */
export const KEYED_STATE_CHUNK = 1000;
const packr = new Packr({ useRecords: true, moreTypes: true, bundleStrings: false });
/** msgpack's bin 32 marker: version 4 frames each piece as one. */
const BIN32 = 0xc6;

/** One keyed-state entry in a snapshot file. */
export type KeyedStateEntry = [keyGroup: number, table: string, key: string, value: unknown];

/**
 * Entries of one table as columns (key group, key, value): cheaper to build
 * and to pack than one array per entry (about half the CPU and 60% of the
 * bytes for small values). `g` is one key group for the whole block, or one
 * per entry.
 */
export interface KeyedStateBlock {
  t: string;
  g: number | number[];
  k: string[];
  v: unknown[];
}

/**
 * Entries of one table with values still packed (see state-value-codec.ts):
 * what the RocksDB backend writes, copying bytes from the database without
 * decoding them. A `null` value marks a key deleted since the earlier files
 * of an incremental chain.
 */
export interface KeyedStatePackedBlock {
  t: string;
  g: number | number[];
  k: string[];
  p: (Uint8Array | null)[];
}

/** What producers hand to `writeKeyedStateFile`: a chunk of entries, or a block. */
export type KeyedStatePiece = KeyedStateEntry[] | KeyedStateBlock | KeyedStatePackedBlock;

export interface KeyedStateFileHeader {
  format: 'weir-keyed-state';
  /**
   * 1: entry chunks only; 2: entry chunks and blocks; 3: also packed blocks;
   * 4: every piece framed as a msgpack bin (its packed bytes), so a reader
   * decodes one piece at a time.
   */
  version: 1 | 2 | 3 | 4;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
}

/**
 * Writes entries (in any order), handed over in chunks of up
 * to KEYED_STATE_CHUNK, to `directory/fileName`: a temporary file first,
 * fsynced, then renamed, so a reader never sees a partial file under the
 * final name. Returns the handle with its checksum. Chunks, not single
 * entries, cross the (async) iterator: a promise per entry cost more than
 * the encoding.
 */
export async function writeKeyedStateFile(
  directory: string,
  fileName: string,
  header: Omit<KeyedStateFileHeader, 'format' | 'version'>,
  chunks: Iterable<KeyedStatePiece> | AsyncIterable<KeyedStatePiece>,
): Promise<KeyedStateHandle> {
  await makeDirectoryDurably(directory);
  const path = join(directory, fileName);
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  let count = 0;
  const put = async (value: unknown): Promise<void> => {
    const buffer = packr.pack(value);
    hash.update(buffer);
    bytes += buffer.length;
    await writeFully(handle, buffer, temporary);
  };
  try {
    await put({ format: 'weir-keyed-state', version: 4, ...header } satisfies KeyedStateFileHeader);
    // Several chunks per write call: fewer, larger writes.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const buffer = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await writeFully(handle, buffer, temporary);
    };
    const add = async (chunk: KeyedStatePiece): Promise<void> => {
      const entries = Array.isArray(chunk) ? chunk.length : chunk.k.length;
      if (entries === 0) return;
      count += entries;
      const packed = packr.pack(chunk);
      // The frame: a msgpack bin32 holding the piece, copied out (msgpackr reuses its buffer).
      const frame = Buffer.allocUnsafe(5 + packed.length);
      frame[0] = BIN32;
      frame.writeUInt32BE(packed.length, 1);
      packed.copy(frame, 5);
      hash.update(frame);
      bytes += frame.length;
      pending.push(frame);
      pendingBytes += frame.length;
      if (pendingBytes >= 1 << 20) await flush();
    };
    if (Symbol.asyncIterator in chunks) {
      for await (const chunk of chunks) await add(chunk);
    } else {
      for (const chunk of chunks) await add(chunk);
    }
    await flush();
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  await syncDirectory(directory);
  return { file: fileName, keyGroupRange: header.keyGroupRange, bytes, entries: count, sha256: hash.digest('hex') };
}

/**
 * Reads a snapshot file, checking its checksum, and yields its pieces (entry
 * chunks, blocks, packed blocks) after the header, decoding one piece at a
 * time (version 4 frames pieces; older files are decoded whole), so memory
 * holds the file's bytes and one decoded piece, and a caller can work
 * through a long file between records.
 */
/** The way out of a state file no restart can read: another checkpoint or savepoint. */
const RESTORE_OLDER = 'restore the job from an older retained checkpoint or savepoint (weir run --from-savepoint <dir>)';

/** A state file that cannot be restored, naming it and the way out. */
function unusableStateFile(path: string, what: string, cause?: unknown): NonRecoverableError {
  return new NonRecoverableError(`keyed state file ${path} ${what}: ${RESTORE_OLDER}`, cause === undefined ? {} : { cause });
}

export async function* readKeyedStatePieces(directory: string, handle: KeyedStateHandle): AsyncGenerator<KeyedStatePiece> {
  const path = join(directory, handle.file);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    // A state file that is gone or unreadable stays so: restarting cannot restore it.
    throw unusableStateFile(path, `cannot be read (${(error as Error).message})`, error);
  }
  if (createHash('sha256').update(data).digest('hex') !== handle.sha256) {
    throw unusableStateFile(path, 'is corrupt (its checksum does not match the checkpoint metadata)');
  }
  const unpackr = new Unpackr({ useRecords: true, moreTypes: true });
  let header: KeyedStateFileHeader | undefined;
  let offset = 0;
  try {
    // The header is small: decode it from the file's start alone (msgpackr scans its whole source for strings).
    unpackr.unpackMultiple(data.subarray(0, Math.min(data.length, 4096)), (value: unknown, _start?: number, end?: number) => {
      header = value as KeyedStateFileHeader;
      offset = end!;
      return false;
    });
  } catch {
    header = undefined;
  }
  if (header?.format !== 'weir-keyed-state' || ![1, 2, 3, 4].includes(header.version)) throw unusableStateFile(path, 'has an unknown format');
  if (header.version < 4) {
    const values = unpackr.unpackMultiple(data) as unknown[];
    for (let i = 1; i < values.length; i++) yield values[i] as KeyedStatePiece;
    return;
  }
  while (offset < data.length) {
    if (data[offset] !== BIN32 || offset + 5 > data.length) throw unusableStateFile(path, `is corrupt (no piece frame at byte ${offset})`);
    const length = data.readUInt32BE(offset + 1);
    const piece = data.subarray(offset + 5, offset + 5 + length);
    if (piece.length !== length) throw unusableStateFile(path, `is truncated at byte ${offset}`);
    offset += 5 + length;
    yield unpackr.unpack(piece) as KeyedStatePiece;
  }
}

/** Options of {@link readKeyedStateFile}. */
export interface ReadKeyedStateOptions {
  /** Hand values of packed blocks over as {@link PackedStateValue} instead of decoding them. */
  packed?: boolean;
}

/**
 * Reads a snapshot file, checking its checksum, and yields, piece by piece,
 * the entries whose key group lies in `range` (memory stays bounded by a
 * piece). A key deleted in an incremental file comes with the value
 * {@link DELETED_STATE_ENTRY}; apply the files of a chain in order. Throws
 * naming the file when it is missing, truncated or corrupt.
 */
export async function* readKeyedStateEntries(
  directory: string,
  handle: KeyedStateHandle,
  range: KeyGroupRange,
  options: ReadKeyedStateOptions = {},
): AsyncGenerator<KeyedStateEntry[]> {
  const value = (bytes: Uint8Array | null): unknown => (bytes === null ? DELETED_STATE_ENTRY : options.packed ? new PackedStateValue(bytes) : unpackStateValue(bytes));
  for await (const piece of readKeyedStatePieces(directory, handle)) {
    const out: KeyedStateEntry[] = [];
    if (Array.isArray(piece)) {
      for (const entry of piece) if (entry[0] >= range.start && entry[0] <= range.end) out.push(entry);
    } else if ('p' in piece) {
      const { g, t, k, p } = piece;
      for (let j = 0; j < k.length; j++) {
        const group = typeof g === 'number' ? g : g[j]!;
        if (group >= range.start && group <= range.end) out.push([group, t, k[j]!, value(p[j]!)]);
      }
    } else {
      const { g, t, k, v } = piece;
      for (let j = 0; j < k.length; j++) {
        const group = typeof g === 'number' ? g : g[j]!;
        if (group >= range.start && group <= range.end) out.push([group, t, k[j]!, v[j]]);
      }
    }
    if (out.length > 0) yield out;
  }
}

/** All entries of a snapshot file in `range` at once (see {@link readKeyedStateEntries}); for small files and tests. */
export async function readKeyedStateFile(directory: string, handle: KeyedStateHandle, range: KeyGroupRange, options: ReadKeyedStateOptions = {}): Promise<KeyedStateEntry[]> {
  const out: KeyedStateEntry[] = [];
  for await (const entries of readKeyedStateEntries(directory, handle, range, options)) for (const entry of entries) out.push(entry);
  return out;
}
