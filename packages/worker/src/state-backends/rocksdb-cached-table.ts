// One table of the RocksDB backend's keyed state: the write-back cache in
// front of its RocksDB entries, and the changes an incremental checkpoint
// takes from it.
import type { StateTable } from './keyed-state-backend.ts';
import { packStateValue } from './state-value-codec.ts';

/** Marks a cached key known to have no value. */
export const ABSENT: unique symbol = Symbol('absent');

/** A cached value (ABSENT: known to have none) and whether it differs from RocksDB. */
export interface CacheEntry {
  value: unknown;
  dirty: boolean;
}

/** A changed cache entry waiting for the next write-back. */
export type DirtyEntry = [table: CachedTable, key: string, entry: CacheEntry];

/** A value as stored in RocksDB, naming the entry when it cannot be encoded. */
export function packValue(table: { name: string }, key: string, value: unknown): Buffer {
  try {
    return packStateValue(value);
  } catch (error) {
    throw new Error(`keyed state: the value of key ${JSON.stringify(key)} in table '${table.name}' cannot be encoded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** One state table: a write-back cache in front of the table's RocksDB entries. */
export class CachedTable implements StateTable {
  readonly id: number;
  readonly name: string;
  /** Cached keys, oldest first (prefetch refreshes a key's place). */
  readonly cache = new Map<string, CacheEntry>();
  /**
   * Whether RocksDB may hold entries of this table (set on restore or on
   * flushing a value). While false, an uncached key is known to be absent.
   */
  onDisk = false;
  /** Packed values (null: deleted) written since the last snapshot, for incremental checkpoints; null when not incremental. */
  changes: Map<string, Buffer | null> | null = null;
  private readonly dirty: DirtyEntry[];

  constructor(id: number, name: string, dirty: DirtyEntry[]) {
    this.id = id;
    this.name = name;
    this.dirty = dirty;
  }

  get(key: string): unknown {
    const entry = this.cache.get(key);
    if (entry !== undefined) return entry.value === ABSENT ? undefined : entry.value;
    if (!this.onDisk) return undefined;
    throw new Error(
      `keyed state: key ${JSON.stringify(key)} of table '${this.name}' was not prefetched: ` +
        'the RocksDB backend serves reads only from keys loaded by prefetch() before the batch (a runtime bug)',
    );
  }

  set(key: string, value: unknown): void {
    this.put(key, value);
  }

  delete(key: string): void {
    this.put(key, ABSENT);
  }

  private put(key: string, value: unknown): void {
    const entry = this.cache.get(key);
    if (entry === undefined) {
      const created = { value, dirty: true };
      this.cache.set(key, created);
      this.dirty.push([this, key, created]);
    } else {
      entry.value = value;
      if (!entry.dirty) {
        entry.dirty = true;
        this.dirty.push([this, key, entry]);
      }
    }
  }
}

