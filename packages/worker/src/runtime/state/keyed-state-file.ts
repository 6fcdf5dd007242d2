import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr, Unpackr } from 'msgpackr';
import type { KeyGroupRange } from '@weir/common/runtime';
import type { KeyedStateHandle } from './keyed-state-backend.ts';

const CHUNK = 1000;
const packr = new Packr({ useRecords: true, moreTypes: true, bundleStrings: false });

/** One keyed-state entry in a snapshot file. */
export type KeyedStateEntry = [keyGroup: number, table: string, key: string, value: unknown];

export interface KeyedStateFileHeader {
  format: 'weir-keyed-state';
  version: 1;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
}

/**
 * Writes entries (already sorted by key group) to `directory/fileName`:
 * a temporary file first, fsynced, then renamed, so a reader never sees a
 * partial file under the final name. Returns the handle with its checksum.
 */
export async function writeKeyedStateFile(
  directory: string,
  fileName: string,
  header: Omit<KeyedStateFileHeader, 'format' | 'version'>,
  entries: Iterable<KeyedStateEntry> | AsyncIterable<KeyedStateEntry>,
): Promise<KeyedStateHandle> {
  await mkdir(directory, { recursive: true });
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
    await handle.write(buffer);
  };
  try {
    await put({ format: 'weir-keyed-state', version: 1, ...header } satisfies KeyedStateFileHeader);
    let chunk: KeyedStateEntry[] = [];
    for await (const entry of entries) {
      chunk.push(entry);
      count++;
      if (chunk.length >= CHUNK) {
        await put(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await put(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  return { file: fileName, keyGroupRange: header.keyGroupRange, bytes, entries: count, sha256: hash.digest('hex') };
}

/**
 * Reads a snapshot file, checking its checksum, and yields the entries whose
 * key group lies in `range`. Throws naming the file when it is missing,
 * truncated or corrupt.
 */
export async function readKeyedStateFile(directory: string, handle: KeyedStateHandle, range: KeyGroupRange): Promise<KeyedStateEntry[]> {
  const path = join(directory, handle.file);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw new Error(`keyed state file ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== handle.sha256) throw new Error(`keyed state file ${path} is corrupt: its checksum does not match the checkpoint metadata`);
  const values = new Unpackr({ useRecords: true, moreTypes: true }).unpackMultiple(data) as unknown[];
  const header = values[0] as KeyedStateFileHeader | undefined;
  if (header?.format !== 'weir-keyed-state' || header.version !== 1) throw new Error(`keyed state file ${path} has an unknown format`);
  const out: KeyedStateEntry[] = [];
  for (let i = 1; i < values.length; i++) {
    for (const entry of values[i] as KeyedStateEntry[]) {
      if (entry[0] >= range.start && entry[0] <= range.end) out.push(entry);
    }
  }
  return out;
}
