import type { KeyedStateHandleSpec } from '@weir/protocol/runtime';

/** One named piece of keyed state: values by the key's canonical text. */
export interface StateTable {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** Entries of the tables it visits, handed over while a backend restores (see KeyedStateBackend.restore). */
export interface RestoreVisitor {
  /** Whether the entries of `table` are handed to `entry`. */
  visits(table: string): boolean;
  entry(table: string, key: string, value: unknown): void;
}

/** What a keyed-state snapshot file holds, for the checkpoint metadata. */
export type KeyedStateHandle = KeyedStateHandleSpec;

/**
 * The synchronous part of a checkpoint: a consistent, cheap view of all keyed
 * state taken between two records. `write` (the asynchronous part) puts it in
 * a file while records flow again; `release` frees the view.
 */
export interface KeyedStateSnapshot {
  /** Writes the whole snapshot to one file (what a self-contained copy of the state needs). */
  write(directory: string, fileName: string): Promise<KeyedStateHandle>;
  /**
   * For backends with incremental checkpoints: puts the files of the
   * snapshot's chain (a base, then deltas, to be applied in order) into
   * `directory` as `<stem>.<i>.state` and returns their handles, and the
   * bytes of the file written for this snapshot (the others are shared
   * with earlier checkpoints).
   */
  writeIncremental?(directory: string, stem: string): Promise<{ handles: KeyedStateHandle[]; writtenBytes: number }>;
  release(): void;
}

/**
 * Keyed state of one subtask (Flink's KeyedStateBackend). Access is
 * synchronous against the current batch; a backend that lives on disk loads
 * a batch's keys in `prefetch` before the batch runs and writes back in
 * `flush`.
 *
 * Snapshot file format (shared by every backend, so state moves between
 * them): first a msgpack header
 * `{ format: 'weir-keyed-state', version: 4, maxParallelism, keyGroupRange }`,
 * then pieces of up to 1,000 entries, each a msgpack bin holding the packed
 * piece: an array of entries `[keyGroup, table, key, value]`, a column block
 * `{ t, g, k, v }` (`g` one key group or one per entry) or a packed block
 * `{ t, g, k, p }` whose values are msgpack bytes (state-value-codec.ts) or
 * null for a key deleted since the earlier files of an incremental chain; in
 * any order within a file (versions 1-3, with unframed pieces, are still
 * read). A subtask's keyed state is a list of such files applied in order.
 */
export interface KeyedStateBackend {
  table(name: string): StateTable;
  prefetch?(keys: readonly string[]): Promise<void>;
  flush?(): Promise<void>;
  /** Changed entries held in memory, not yet written (for backends that flush). */
  dirtyCount?(): number;
  snapshot(): Promise<KeyedStateSnapshot> | KeyedStateSnapshot;
  /**
   * The keys (canonical texts) that have a value in table `name`, in batches
   * of at most 1,000, as of the call (keys set meanwhile may be missed);
   * for `applyToKeyedState`. Prefetch a batch before reading its values.
   */
  keys(name: string): AsyncIterable<string[]>;
  /**
   * Loads the entries of the given snapshot files (in order) that fall in
   * this backend's key-group range. `visit` sees, in the same pass, every
   * entry of the tables it visits (decoded values;
   * DELETED_STATE_ENTRY for a deletion), e.g. timers, whose firing order is
   * rebuilt in memory.
   */
  restore(directory: string, handles: readonly KeyedStateHandle[], visit?: RestoreVisitor): Promise<void>;
  close(): Promise<void> | void;
}
