import { keyGroupForKeyString, type KeyGroupRange } from '@weir/common/runtime';
import type { KeyedStateBackend, KeyedStateHandle, KeyedStateSnapshot, StateTable } from './keyed-state-backend.ts';
import { readKeyedStateFile, writeKeyedStateFile, type KeyedStateEntry } from './keyed-state-file.ts';

/**
 * Keyed state in the JavaScript heap. A snapshot copies the tables' maps
 * (shallow: values are replaced on update, never mutated in place by the
 * runtime) and writes them out asynchronously.
 */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, Map<string, unknown>>();
  private readonly keyGroupRange: KeyGroupRange;
  private readonly maxParallelism: number;

  constructor(keyGroupRange: KeyGroupRange, maxParallelism: number) {
    this.keyGroupRange = keyGroupRange;
    this.maxParallelism = maxParallelism;
  }

  table(name: string): StateTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  snapshot(): KeyedStateSnapshot {
    const copies = [...this.tables].map(([name, map]) => [name, new Map(map)] as const);
    const { keyGroupRange, maxParallelism } = this;
    return {
      async write(directory: string, fileName: string): Promise<KeyedStateHandle> {
        const entries: KeyedStateEntry[] = [];
        for (const [name, map] of copies) {
          for (const [key, value] of map) entries.push([keyGroupForKeyString(key, maxParallelism), name, key, value]);
        }
        entries.sort((a, b) => a[0] - b[0]);
        return writeKeyedStateFile(directory, fileName, { maxParallelism, keyGroupRange }, entries);
      },
      release() {
        copies.length = 0;
      },
    };
  }

  async restore(directory: string, handles: readonly KeyedStateHandle[]): Promise<void> {
    for (const handle of handles) {
      for (const [, table, key, value] of await readKeyedStateFile(directory, handle, this.keyGroupRange)) {
        (this.table(table) as Map<string, unknown>).set(key, value);
      }
    }
  }

  close(): void {
    this.tables.clear();
  }
}
