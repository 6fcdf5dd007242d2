import { keyGroupForKeyString, type KeyGroupRange } from '@weir/common/runtime';
import type { KeyedStateBackend, KeyedStateHandle, KeyedStateSnapshot, StateTable } from './keyed-state-backend.ts';
import { KEYED_STATE_CHUNK, readKeyedStateFile, writeKeyedStateFile, type KeyedStateEntry } from './keyed-state-file.ts';

/** Marks, in a snapshot's shadow, a key that did not exist when the snapshot was taken. */
const ABSENT = Symbol('absent');
/** Keys bucketed per slice before yielding to the event loop, so records keep flowing. */
const SLICE = 20_000;

/**
 * One table of heap state. While snapshots are being written it keeps, per
 * snapshot, the value a key had when the snapshot was taken, the first time
 * the key changes afterwards (copy-on-write): taking a snapshot copies only
 * the list of keys.
 */
class HeapStateTable implements StateTable {
  readonly map = new Map<string, unknown>();
  readonly shadows = new Set<Map<string, unknown>>();

  get(key: string): unknown {
    return this.map.get(key);
  }

  set(key: string, value: unknown): void {
    if (this.shadows.size > 0) this.remember(key);
    this.map.set(key, value);
  }

  delete(key: string): void {
    if (this.shadows.size > 0) this.remember(key);
    this.map.delete(key);
  }

  private remember(key: string): void {
    for (const shadow of this.shadows) {
      if (!shadow.has(key)) shadow.set(key, this.map.has(key) ? this.map.get(key) : ABSENT);
    }
  }
}

/**
 * Keyed state in the JavaScript heap. A snapshot's synchronous part takes
 * each table's key list and starts copy-on-write; the asynchronous part
 * buckets keys by key group in slices (yielding between them) and writes the
 * values as they were at the snapshot. Values are replaced on update, never
 * mutated in place by the runtime, so keeping references is enough.
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
    const views = [...this.tables].map(([name, table]) => {
      const shadow = new Map<string, unknown>();
      table.shadows.add(shadow);
      return { name, table, shadow, keys: Array.from(table.map.keys()) };
    });
    const { keyGroupRange, maxParallelism } = this;
    const release = (): void => {
      for (const view of views) view.table.shadows.delete(view.shadow);
      views.length = 0;
    };
    return {
      async write(directory: string, fileName: string): Promise<KeyedStateHandle> {
        const groups = keyGroupRange.end - keyGroupRange.start + 1;
        const buckets: [view: number, key: string][][] = Array.from({ length: Math.max(0, groups) }, () => []);
        for (let v = 0; v < views.length; v++) {
          const keys = views[v]!.keys;
          for (let i = 0; i < keys.length; i++) {
            const key = keys[i]!;
            buckets[keyGroupForKeyString(key, maxParallelism) - keyGroupRange.start]?.push([v, key]);
            if (i % SLICE === SLICE - 1) await new Promise<void>((resolve) => setImmediate(resolve));
          }
        }
        function* chunks(): Generator<KeyedStateEntry[]> {
          let chunk: KeyedStateEntry[] = [];
          for (let g = 0; g < buckets.length; g++) {
            const group = keyGroupRange.start + g;
            for (const [v, key] of buckets[g]!) {
              const view = views[v]!;
              const shadowed = view.shadow.size > 0 && view.shadow.has(key);
              const value = shadowed ? view.shadow.get(key) : view.table.map.get(key);
              if (value === ABSENT || value === undefined) continue;
              chunk.push([group, view.name, key, value]);
              if (chunk.length === KEYED_STATE_CHUNK) {
                yield chunk;
                chunk = [];
              }
            }
          }
          yield chunk;
        }
        return writeKeyedStateFile(directory, fileName, { maxParallelism, keyGroupRange }, chunks());
      },
      release,
    };
  }

  async restore(directory: string, handles: readonly KeyedStateHandle[]): Promise<void> {
    for (const handle of handles) {
      for (const [, table, key, value] of await readKeyedStateFile(directory, handle, this.keyGroupRange)) {
        this.table(table).set(key, value);
      }
    }
  }

  close(): void {
    this.tables.clear();
  }
}
