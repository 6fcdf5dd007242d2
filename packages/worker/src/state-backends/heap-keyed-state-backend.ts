import { keyGroupForKeyString, type KeyGroupRange } from '@weir/common/runtime';
import type { KeyedStateBackend, KeyedStateHandle, KeyedStateSnapshot, RestoreVisitor, StateTable } from './keyed-state-backend.ts';
import { KEYED_STATE_CHUNK, readKeyedStateEntries, writeKeyedStateFile, type KeyedStateBlock } from './keyed-state-file.ts';
import { DELETED_STATE_ENTRY } from './state-value-codec.ts';

/** Entries encoded per slice before yielding to the event loop, so records keep flowing. */
const SLICE = 20_000;
/** Keys per batch of `keys()`. */
const KEY_BATCH = 1_000;

/** One table of heap state: a Map from key text to value. */
class HeapStateTable implements StateTable {
  readonly map = new Map<string, unknown>();

  get(key: string): unknown {
    return this.map.get(key);
  }

  set(key: string, value: unknown): void {
    this.map.set(key, value);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/**
 * Keyed state in the JavaScript heap. A snapshot's synchronous part copies
 * each table's keys and values into two arrays (references only: values are
 * replaced on update, never mutated in place once a snapshot may hold them),
 * so later changes cannot touch it; the asynchronous part computes key
 * groups and writes blocks of columns, yielding between slices.
 */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, HeapStateTable>();
  private readonly keyGroupRange: KeyGroupRange;
  private readonly maxParallelism: number;

  constructor(keyGroupRange: KeyGroupRange, maxParallelism: number) {
    this.keyGroupRange = keyGroupRange;
    this.maxParallelism = maxParallelism;
  }

  table(name: string): StateTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new HeapStateTable();
      this.tables.set(name, table);
    }
    return table;
  }

  snapshot(): KeyedStateSnapshot {
    let views: { name: string; keys: string[]; values: unknown[] }[] = [...this.tables].map(([name, table]) => ({
      name,
      keys: Array.from(table.map.keys()),
      values: Array.from(table.map.values()),
    }));
    const { keyGroupRange, maxParallelism } = this;
    const release = (): void => {
      views = [];
    };
    return {
      async write(directory: string, fileName: string): Promise<KeyedStateHandle> {
        const taken = views;
        async function* blocks(): AsyncGenerator<KeyedStateBlock> {
          for (const { name, keys, values } of taken) {
            for (let start = 0; start < keys.length; start += KEYED_STATE_CHUNK) {
              const end = Math.min(keys.length, start + KEYED_STATE_CHUNK);
              const g: number[] = new Array<number>(end - start);
              for (let i = start; i < end; i++) g[i - start] = keyGroupForKeyString(keys[i]!, maxParallelism);
              yield { t: name, g, k: keys.slice(start, end), v: values.slice(start, end) };
              if (end % SLICE < KEYED_STATE_CHUNK) await new Promise<void>((resolve) => setImmediate(resolve));
            }
          }
        }
        return writeKeyedStateFile(directory, fileName, { maxParallelism, keyGroupRange }, blocks());
      },
      release,
    };
  }

  async *keys(name: string): AsyncGenerator<string[]> {
    const table = this.tables.get(name);
    if (!table) return;
    const keys = [...table.map.keys()];
    for (let i = 0; i < keys.length; i += KEY_BATCH) yield keys.slice(i, i + KEY_BATCH);
  }

  async restore(directory: string, handles: readonly KeyedStateHandle[], visit?: RestoreVisitor): Promise<void> {
    for (const handle of handles) {
      for await (const entries of readKeyedStateEntries(directory, handle, this.keyGroupRange)) {
        for (const [, table, key, value] of entries) {
          if (visit?.visits(table)) visit.entry(table, key, value);
          if (value === DELETED_STATE_ENTRY) this.table(table).delete(key);
          else this.table(table).set(key, value);
        }
      }
    }
  }

  close(): void {
    this.tables.clear();
  }
}
