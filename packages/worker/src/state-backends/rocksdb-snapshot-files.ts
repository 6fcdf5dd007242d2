// The snapshot files of the RocksDB backend: full snapshots scanned from a
// RocksDB snapshot, and, with a staging directory, the incremental chain
// (delta files of the changes, materialization into a new base).
import { basename, dirname } from 'node:path';
import { keyGroupForKeyString, type KeyGroupRange } from '@weir/common/runtime';
import { MERGE_MAX_ENTRIES, materializeChain } from './chain-materialization.ts';
import { IncrementalSnapshotChain, type ChainFile } from './incremental-snapshot-chain.ts';
import type { KeyedStateHandle } from './keyed-state-backend.ts';
import { KEYED_STATE_CHUNK, writeKeyedStateFile, type KeyedStatePackedBlock } from './keyed-state-file.ts';
import type { CachedTable } from './rocksdb-cached-table.ts';
import type { RocksSession } from './rocksdb-native.ts';

/** Entries read per native iterator step when writing a snapshot file. */
const SCAN_BATCH = 8_192;
/** A full snapshot replaces an incremental chain once its deltas hold at least this many entries (and as many as its base). */
const MATERIALIZE_MIN_ENTRIES = 10_000;
/** ... or once the chain has this many files. */
const MATERIALIZE_MAX_FILES = 8;
/** How long after its checkpoint is written a materialization merge starts (the checkpoint completes meanwhile). */
const MATERIALIZE_DELAY_MS = 1_000;
/** Changes held in memory between two checkpoints before they go to a delta file early. */
const SPILL_ENTRIES = 200_000;

/** The header every snapshot file of a backend carries. */
export interface SnapshotFileHeader {
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
}

/** Options of {@link RocksDBSnapshotFiles}, as the backend got them. */
export interface RocksDBSnapshotFilesOptions {
  stagingDirectory?: string;
  materialization?: { minEntries: number; maxFiles: number };
  spillEntries?: number;
}

/** The chain files a snapshot references, and those written for it. */
export interface ChainView {
  readonly files: readonly Promise<ChainFile>[];
  readonly written: Promise<ChainFile>[];
}

/**
 * Writes a RocksDB backend's snapshot files and keeps its incremental chain.
 * The tables (shared with the backend) carry the changes since the last
 * snapshot; this class turns them into delta files.
 */
export class RocksDBSnapshotFiles {
  /** The incremental chain; undefined when every checkpoint is a full snapshot. */
  readonly chain: IncrementalSnapshotChain | undefined;
  private readonly header: SnapshotFileHeader;
  private readonly tables: ReadonlyMap<string, CachedTable>;
  private readonly materialization: { minEntries: number; maxFiles: number };
  private readonly spillEntries: number;
  private readonly pendingWrites = new Set<Promise<unknown>>();
  /** The next snapshot must be full (no chain yet that it could extend, or a delta failed). */
  private chainBroken = false;
  /** Delta files written since the last snapshot because the changes grew large (part of the next checkpoint). */
  private readonly spilled: Promise<ChainFile>[] = [];
  /** A full snapshot being written to replace the chain. */
  materializing = false;
  private closed = false;

  constructor(header: SnapshotFileHeader, tables: ReadonlyMap<string, CachedTable>, options: RocksDBSnapshotFilesOptions) {
    this.header = header;
    this.tables = tables;
    this.materialization = options.materialization ?? { minEntries: MATERIALIZE_MIN_ENTRIES, maxFiles: MATERIALIZE_MAX_FILES };
    this.spillEntries = options.spillEntries ?? SPILL_ENTRIES;
    this.chain = options.stagingDirectory === undefined ? undefined : new IncrementalSnapshotChain(options.stagingDirectory);
  }

  /** After a write-back recorded its changes in the tables: many changes go to a delta file early rather than piling up in memory. */
  spillIfLarge(): void {
    if (!this.chain) return;
    let changed = 0;
    for (const table of this.tables.values()) changed += table.changes!.size;
    if (changed < this.spillEntries) return;
    const spilled = this.appendChanges(this.chain);
    if (spilled) this.spilled.push(spilled);
  }

  /**
   * The chain part of a snapshot: the changes since the last snapshot go to
   * a delta file (or, when there is no chain to extend, the whole snapshot
   * to a new base); returns the chain files this snapshot references.
   */
  extendChain(chain: IncrementalSnapshotChain, session: RocksSession, tableNames: readonly string[], afterCheckpoint: Promise<void>): ChainView {
    const header = this.header;
    const written = this.spilled.splice(0);
    if (this.chainBroken) {
      this.chainBroken = false;
      for (const table of this.tables.values()) table.changes = new Map();
      const path = chain.newPath('base');
      const base = this.writeFull(session, tableNames, dirname(path), basename(path)).then((handle) => ({ path, handle }));
      this.watchChain(base);
      chain.reset([base]);
      this.materializing = true;
      void base.then(
        () => (this.materializing = false),
        () => (this.materializing = false),
      );
      return { files: chain.snapshot().files, written: [base] };
    }
    const delta = this.appendChanges(chain);
    if (delta) written.push(delta);
    const view = chain.snapshot();
    if (!this.materializing && chain.wantsMaterialization(this.materialization.minEntries, this.materialization.maxFiles)) {
      // Merging the chain's files costs a fraction of scanning the database (rocksdb-native's iterator is slow per
      // entry); a chain too large to merge in a few passes is materialized by a scan (bounded memory) instead,
      // started now, while the snapshot is open. A merge starts a moment after this checkpoint is written.
      this.materializing = true;
      const path = chain.newPath('base');
      const handle =
        chain.entries() <= MERGE_MAX_ENTRIES
          ? afterCheckpoint
              .then(() => new Promise((resolve) => setTimeout(resolve, MATERIALIZE_DELAY_MS)))
              .then(() => Promise.all(view.files))
              .then((files) => materializeChain(files, path, header, () => this.closed))
          : this.writeFull(session, tableNames, dirname(path), basename(path));
      void this.track(handle)
        .then((h) => chain.materialized(view.generation, view.length, { path, handle: h }))
        .catch(() => undefined)
        .finally(() => (this.materializing = false));
    }
    return { files: view.files, written };
  }

  /** Writes everything a RocksDB snapshot holds to one file, copying values as packed bytes. */
  writeFull(session: RocksSession, tableNames: readonly string[], directory: string, fileName: string): Promise<KeyedStateHandle> {
    // Created now, the iterator holds the RocksDB snapshot even if release() comes before the file is written.
    const iterator = session.iterator({}, { capacity: SCAN_BATCH });
    const isClosed = (): boolean => this.closed;
    async function* blocks(): AsyncGenerator<KeyedStatePackedBlock> {
      // Keys sort by (key group, table id, key): consecutive entries mostly share their table.
      let block: KeyedStatePackedBlock & { g: number[] } = { t: '', g: [], k: [], p: [] };
      for await (const { key, value } of iterator) {
        const table = tableNames[key.readUInt16BE(2)];
        if (table === undefined) throw new Error(`RocksDB keyed state: entry with unknown table id ${key.readUInt16BE(2)}`);
        if (table !== block.t || block.k.length === KEYED_STATE_CHUNK) {
          if (block.k.length > 0) yield block;
          if (isClosed()) throw new Error('RocksDB keyed state: the backend closed while a snapshot was written');
          block = { t: table, g: [], k: [], p: [] };
        }
        block.g.push(key.readUInt16BE(0));
        block.k.push(key.toString('utf8', 4));
        block.p.push(value);
      }
      if (block.k.length > 0) yield block;
    }
    const written = writeKeyedStateFile(directory, fileName, this.header, blocks());
    // Whatever happened, free the iterator: an open one keeps the database from closing.
    return this.track(
      written.finally(() => {
        iterator.destroy();
      }),
    );
  }

  /** After a restore from `handles`: they are the new chain's base; where they cannot be adopted, the first checkpoint is full. */
  async adoptRestored(directory: string, handles: readonly KeyedStateHandle[]): Promise<void> {
    if (!this.chain) return;
    try {
      const adopted = await this.chain.adopt(directory, handles);
      this.chain.reset(adopted.map((file) => Promise.resolve(file)));
    } catch {
      this.chain.reset([]);
      this.chainBroken = true;
    }
    for (const table of this.tables.values()) table.changes = new Map();
  }

  /** The backend is closing: writes in progress stop at their next block; resolves when all have settled. */
  closing(): Promise<unknown> {
    this.closed = true;
    return Promise.all(this.pendingWrites);
  }

  /** Closes the chain (after `closing`). */
  async close(): Promise<void> {
    await this.chain?.close();
  }

  /**
   * Hands the changes recorded since the last call to a delta file appended
   * to the chain (written in the background); nothing when nothing changed.
   */
  private appendChanges(chain: IncrementalSnapshotChain): Promise<ChainFile> | undefined {
    const changes: [table: string, entries: Map<string, Buffer | null>][] = [];
    let changed = 0;
    for (const table of this.tables.values()) {
      if (table.changes!.size === 0) continue;
      changes.push([table.name, table.changes!]);
      changed += table.changes!.size;
      table.changes = new Map();
    }
    if (changed === 0) return undefined;
    const path = chain.newPath('delta');
    const maxParallelism = this.header.maxParallelism;
    function* blocks(): Generator<KeyedStatePackedBlock> {
      for (const [t, entries] of changes) {
        let block: KeyedStatePackedBlock & { g: number[] } = { t, g: [], k: [], p: [] };
        for (const [key, packed] of entries) {
          block.g.push(keyGroupForKeyString(key, maxParallelism));
          block.k.push(key);
          block.p.push(packed);
          if (block.k.length === KEYED_STATE_CHUNK) {
            yield block;
            block = { t, g: [], k: [], p: [] };
          }
        }
        if (block.k.length > 0) yield block;
      }
    }
    const delta = this.track(writeKeyedStateFile(dirname(path), basename(path), this.header, blocks())).then((handle) => ({ path, handle }));
    this.watchChain(delta);
    chain.append(delta, changed);
    return delta;
  }

  /** A chain file that fails to be written breaks the chain: the next snapshot writes a new base. */
  private watchChain(file: Promise<ChainFile>): void {
    file.catch(() => {
      this.chainBroken = true;
    });
  }

  private track<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.pendingWrites.add(settled);
    void settled.then(() => this.pendingWrites.delete(settled));
    return write;
  }
}
