import type { KeyedStateBackend, StateTable } from './keyed-state-backend.ts';

/** Keyed state in the JavaScript heap: fast, lost with the process (no checkpoints yet). */
export class HeapKeyedStateBackend implements KeyedStateBackend {
  private readonly tables = new Map<string, Map<string, unknown>>();

  table(name: string): StateTable {
    let table = this.tables.get(name);
    if (!table) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  close(): void {
    this.tables.clear();
  }
}
