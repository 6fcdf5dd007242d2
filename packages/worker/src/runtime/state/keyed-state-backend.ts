/** One named piece of keyed state: values by the key's canonical text. */
export interface StateTable {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/**
 * Keyed state of one subtask (Flink's KeyedStateBackend). Access is
 * synchronous against the current batch; a backend that lives on disk loads
 * a batch's keys in `prefetch` before the batch runs and writes back after.
 */
export interface KeyedStateBackend {
  table(name: string): StateTable;
  prefetch?(keys: readonly string[]): Promise<void>;
  flush?(): Promise<void>;
  close(): Promise<void> | void;
}
