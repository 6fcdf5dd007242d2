// Keyed state in an embedded RocksDB (Flink's RocksDBKeyedStateBackend):
// synchronous table access over a write-back cache, prefetch and flush,
// snapshots and restore.
import { mkdir, rm } from 'node:fs/promises';
import { keyGroupForKeyString, type KeyGroupRange } from '@weir/common/runtime';
import type { KeyedStateBackend, KeyedStateHandle, KeyedStateSnapshot, RestoreVisitor, StateTable } from './keyed-state-backend.ts';
import { readKeyedStateEntries } from './keyed-state-file.ts';
import { ABSENT, CachedTable, packValue, type DirtyEntry } from './rocksdb-cached-table.ts';
import { encodeKey, MAX_TABLES, RocksDB, type RocksSession } from './rocksdb-native.ts';
import { RocksDBSnapshotFiles } from './rocksdb-snapshot-files.ts';
import { DELETED_STATE_ENTRY, PackedStateValue, unpackStateValue } from './state-value-codec.ts';

/** Entries written per RocksDB write batch on restore. */
const RESTORE_BATCH = 50_000;
/** Keys per batch of `keys()`, and per native iterator step. */
const KEY_BATCH = 1_000;

/** Options of {@link RocksDBKeyedStateBackend.open}. */
export interface RocksDBKeyedStateBackendOptions {
  /** Working directory of the database; wiped on open (durable state lives only in snapshots). */
  directory: string;
  /** Key groups this subtask owns. */
  keyGroupRange: KeyGroupRange;
  maxParallelism: number;
  /** Clean entries kept in the in-memory cache after a flush (default 100,000). */
  cacheEntries?: number;
  /**
   * A directory of the checkpoint storage (same file system as the
   * checkpoints) for this backend's incremental snapshot files. With it,
   * checkpoints are incremental (`writeIncremental`); without, every
   * checkpoint is a full snapshot.
   */
  stagingDirectory?: string;
  /**
   * When a full snapshot replaces the incremental chain: once its deltas
   * hold at least `minEntries` entries and as many as the base, or it has
   * `maxFiles` files (default 10,000 and 8).
   */
  materialization?: { minEntries: number; maxFiles: number };
  /** Changes held in memory between two checkpoints before they go to a delta file early (default 200,000). */
  spillEntries?: number;
}

/** Counters of a {@link RocksDBKeyedStateBackend}, for tests and metrics. */
export interface RocksDBKeyedStateBackendStats {
  /** Entries (present, absent or dirty) in the in-memory cache. */
  cachedEntries: number;
  /** Entries changed since the last flush. */
  dirtyEntries: number;
  /** RocksDB read batches issued so far (one per prefetch that had keys to load). */
  readBatches: number;
  /** RocksDB write batches issued so far. */
  writeBatches: number;
}

/**
 * Keyed state in an embedded RocksDB (Flink's RocksDBKeyedStateBackend),
 * for state larger than the heap. Operators still access state
 * synchronously: `prefetch` loads a batch's keys into a write-back cache in
 * one batched read, the batch runs against the cache, and `flush` writes the
 * changes back in one write batch and trims the cache.
 *
 * RocksDB keys are the key group (2 bytes, big-endian), the table id
 * (2 bytes, big-endian, assigned in order of first use) and the key's UTF-8
 * bytes, so the database iterates in key-group order, as the snapshot file
 * format wants. Values are msgpack.
 *
 * As with Flink's RocksDB backend, a value object changed in place without
 * `set` is not written back.
 *
 * Checkpoints are incremental when the backend has a staging directory
 * (Flink's changelog idea on top of RocksDB): every write-back also records
 * the packed value (or the deletion) by key, a snapshot hands those changes
 * to a delta file and the checkpoint references the chain base + deltas
 * (see IncrementalSnapshotChain), so a checkpoint costs what changed since
 * the last one, not the whole state. When the deltas have grown as large as
 * the base, a full snapshot of that checkpoint's RocksDB snapshot is written
 * in the background ("materialization") and becomes the new base. Every
 * snapshot file copies values as packed bytes, never decoding them.
 */
export class RocksDBKeyedStateBackend implements KeyedStateBackend {
  private readonly db: RocksSession;
  private readonly keyGroupRange: KeyGroupRange;
  private readonly maxParallelism: number;
  private readonly cacheEntries: number;
  private readonly tables = new Map<string, CachedTable>();
  /** Table names by id. */
  private readonly tableNames: string[] = [];
  private readonly dirty: DirtyEntry[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly openSnapshots = new Set<RocksSession>();
  /** Snapshot files and the incremental chain. */
  private readonly files: RocksDBSnapshotFiles;
  private closed = false;

  private constructor(db: RocksSession, options: RocksDBKeyedStateBackendOptions) {
    this.db = db;
    this.keyGroupRange = options.keyGroupRange;
    this.maxParallelism = options.maxParallelism;
    this.cacheEntries = options.cacheEntries ?? 100_000;
    this.files = new RocksDBSnapshotFiles({ maxParallelism: this.maxParallelism, keyGroupRange: this.keyGroupRange }, this.tables, options);
  }

  /** Opens a fresh database in `options.directory`, deleting whatever the directory held. */
  static async open(options: RocksDBKeyedStateBackendOptions): Promise<RocksDBKeyedStateBackend> {
    const { directory, keyGroupRange, maxParallelism, cacheEntries } = options;
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 0x10000) {
      throw new Error(`RocksDB keyed state: maxParallelism must be a whole number in 1..65536, got ${maxParallelism}`);
    }
    if (!(keyGroupRange.start >= 0 && keyGroupRange.start <= keyGroupRange.end && keyGroupRange.end < maxParallelism)) {
      throw new Error(`RocksDB keyed state: key-group range ${keyGroupRange.start}..${keyGroupRange.end} does not lie in 0..${maxParallelism - 1}`);
    }
    if (cacheEntries !== undefined && !(Number.isInteger(cacheEntries) && cacheEntries >= 0)) {
      throw new Error(`RocksDB keyed state: cacheEntries must be a whole number >= 0, got ${cacheEntries}`);
    }
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    const db = new RocksDB(directory);
    try {
      await db.ready();
    } catch (error) {
      throw new Error(`RocksDB keyed state: cannot open a database in ${directory}: ${(error as Error).message}`, { cause: error });
    }
    return new RocksDBKeyedStateBackend(db, options);
  }

  table(name: string): StateTable {
    return this.tableState(name);
  }

  private tableState(name: string): CachedTable {
    let table = this.tables.get(name);
    if (table === undefined) {
      const id = this.tableNames.length;
      if (id >= MAX_TABLES) throw new Error(`RocksDB keyed state: more than ${MAX_TABLES} state tables`);
      table = new CachedTable(id, name, this.dirty);
      if (this.files.chain) table.changes = new Map();
      this.tables.set(name, table);
      this.tableNames.push(name);
    }
    return table;
  }

  /**
   * Loads, in one batched read, every (table, key) not yet cached for all
   * tables that may have entries on disk; keys without a value are cached as
   * absent. Keys already cached move to the young end of the cache.
   */
  async prefetch(keys: readonly string[]): Promise<void> {
    this.checkOpen();
    const tables = [...this.tables.values()];
    const wanted: [table: CachedTable, key: string, dbKey: Buffer][] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      let keyGroup = -1;
      for (const table of tables) {
        const entry = table.cache.get(key);
        if (entry !== undefined) {
          table.cache.delete(key);
          table.cache.set(key, entry);
          continue;
        }
        if (!table.onDisk) continue;
        if (keyGroup < 0) keyGroup = keyGroupForKeyString(key, this.maxParallelism);
        wanted.push([table, key, encodeKey(keyGroup, table.id, key)]);
      }
    }
    if (wanted.length === 0) return;
    const batch = this.db.read({ capacity: wanted.length, autoDestroy: true });
    const reads = wanted.map(([, , dbKey]) => batch.get(dbKey));
    const [, results] = await Promise.all([batch.flush(), Promise.all(reads)]);
    for (let i = 0; i < wanted.length; i++) {
      const [table, key] = wanted[i]!;
      // A key set while the read was in flight keeps its newer value.
      if (table.cache.has(key)) continue;
      const buffer = results[i];
      table.cache.set(key, { value: buffer == null ? ABSENT : unpackStateValue(buffer), dirty: false });
    }
  }

  /**
   * Writes every changed entry in one write batch, then, when the cache holds
   * more than `cacheEntries` entries, drops the least recently prefetched
   * (now clean) ones.
   */
  async flush(): Promise<void> {
    this.checkOpen();
    const run = this.flushing.then(() => this.writeDirty());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async writeDirty(): Promise<void> {
    const items = this.dirty;
    if (items.length > 0) {
      // Encode everything before touching the batch: a batch left unflushed would keep the database from closing.
      const encoded: [key: Buffer, value: Buffer | undefined][] = new Array(items.length);
      for (let i = 0; i < items.length; i++) {
        const [table, key, entry] = items[i]!;
        const dbKey = encodeKey(keyGroupForKeyString(key, this.maxParallelism), table.id, key);
        encoded[i] = [dbKey, entry.value === ABSENT ? undefined : packValue(table, key, entry.value)];
      }
      const written = items.splice(0);
      const batch = this.db.write({ capacity: written.length, autoDestroy: true });
      for (let i = 0; i < written.length; i++) {
        const [table, , entry] = written[i]!;
        const [dbKey, value] = encoded[i]!;
        if (value === undefined) {
          batch.tryDelete(dbKey);
        } else {
          batch.tryPut(dbKey, value);
          table.onDisk = true;
        }
        // Clean from here on: a change while the batch is written makes it dirty again.
        entry.dirty = false;
      }
      try {
        await batch.flush();
      } catch (error) {
        for (const item of written) {
          if (!item[2].dirty) {
            item[2].dirty = true;
            items.push(item);
          }
        }
        throw new Error(`RocksDB keyed state: writing ${written.length} changed entries failed: ${(error as Error).message}`, { cause: error });
      }
      if (this.files.chain) {
        for (let i = 0; i < written.length; i++) written[i]![0].changes!.set(written[i]![1], encoded[i]![1] ?? null);
        this.files.spillIfLarge();
      }
    }
    this.evict();
  }

  private evict(): void {
    let excess = -this.cacheEntries;
    for (const table of this.tables.values()) excess += table.cache.size;
    if (excess <= 0) return;
    for (const table of this.tables.values()) {
      for (const [key, entry] of table.cache) {
        if (excess <= 0) return;
        if (entry.dirty) continue;
        table.cache.delete(key);
        excess--;
      }
    }
  }

  /** Resolves when no full snapshot is being written to replace the incremental chain (for tests). */
  async materialized(): Promise<void> {
    while (this.files.materializing) await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }

  /** Counters for tests and metrics. */
  dirtyCount(): number {
    return this.dirty.length;
  }

  get stats(): RocksDBKeyedStateBackendStats {
    let cachedEntries = 0;
    for (const table of this.tables.values()) cachedEntries += table.cache.size;
    return { cachedEntries, dirtyEntries: this.dirty.length, readBatches: this.db.stats.readBatches, writeBatches: this.db.stats.writeBatches };
  }

  /**
   * Flushes changed entries and takes a RocksDB snapshot (cheap: no copy).
   * With a staging directory it also hands the changes since the last
   * snapshot to a delta file of the incremental chain (written in the
   * background) and may start a materialization. The caller must not change
   * state until the returned promise settles.
   */
  async snapshot(): Promise<KeyedStateSnapshot> {
    await this.flush();
    const session = this.db.snapshot();
    this.openSnapshots.add(session);
    const tableNames = [...this.tableNames];
    const { files, openSnapshots } = this;
    // A materialization merge waits until this snapshot's checkpoint is written (or released), so its CPU does not
    // fall into the checkpoint.
    let checkpointWritten!: () => void;
    const afterCheckpoint = new Promise<void>((resolve) => (checkpointWritten = resolve));
    const chain = files.chain;
    const chainView = chain ? files.extendChain(chain, session, tableNames, afterCheckpoint) : undefined;
    let released = false;
    return {
      write: (directory: string, fileName: string): Promise<KeyedStateHandle> => {
        if (released) return Promise.reject(new Error('RocksDB keyed state: write() of a released snapshot'));
        return files.writeFull(session, tableNames, directory, fileName);
      },
      ...(chain && chainView
        ? {
            writeIncremental: async (directory: string, stem: string): Promise<{ handles: KeyedStateHandle[]; writtenBytes: number }> => {
              try {
                const handles = await chain.linkInto(chainView.files, directory, stem);
                const written = await Promise.all(chainView.written);
                return { handles, writtenBytes: written.reduce((n, f) => n + f.handle.bytes, 0) };
              } finally {
                checkpointWritten();
              }
            },
          }
        : {}),
      release(): void {
        checkpointWritten();
        if (released) return;
        released = true;
        openSnapshots.delete(session);
        // A write in progress keeps the RocksDB snapshot alive until its iterator ends.
        void session.close().catch(() => undefined);
      },
    };
  }

  /**
   * The keys of table `name` with a value: flushes, then scans the table's
   * RocksDB range of each key group of the subtask (keys only), as of the
   * first batch.
   */
  async *keys(name: string): AsyncGenerator<string[]> {
    this.checkOpen();
    const table = this.tables.get(name);
    if (!table) return;
    await this.flush();
    if (!table.onDisk) {
      const present = [...table.cache].filter(([, entry]) => entry.value !== ABSENT).map(([key]) => key);
      for (let i = 0; i < present.length; i += KEY_BATCH) yield present.slice(i, i + KEY_BATCH);
      return;
    }
    const session = this.db.snapshot();
    this.openSnapshots.add(session);
    try {
      let batch: string[] = [];
      for (let group = this.keyGroupRange.start; group <= this.keyGroupRange.end; group++) {
        const prefix = group * 0x10000 + table.id;
        const range: { gte: Buffer; lt?: Buffer } = { gte: encodeKey(group, table.id, '') };
        if (prefix + 1 < 2 ** 32) {
          range.lt = Buffer.alloc(4);
          range.lt.writeUInt32BE(prefix + 1);
        }
        for await (const { key } of session.iterator(range, { capacity: KEY_BATCH, values: false })) {
          batch.push(key.toString('utf8', 4));
          if (batch.length >= KEY_BATCH) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      this.openSnapshots.delete(session);
      void session.close().catch(() => undefined);
    }
  }

  /** Loads the entries of the given snapshot files that fall in this backend's key-group range. */
  async restore(directory: string, handles: readonly KeyedStateHandle[], visit?: RestoreVisitor): Promise<void> {
    this.checkOpen();
    await this.flush();
    for (const handle of handles) {
      let encoded: [key: Buffer, value: Uint8Array | null][] = [];
      const write = async (): Promise<void> => {
        const batch = this.db.write({ capacity: encoded.length, autoDestroy: true });
        for (const [key, value] of encoded) {
          if (value === null) batch.tryDelete(key);
          else batch.tryPut(key, value);
        }
        encoded = [];
        await batch.flush();
      };
      for await (const entries of readKeyedStateEntries(directory, handle, this.keyGroupRange, { packed: true })) {
        // Encode and check before touching a batch: a batch left unflushed would keep the database from closing.
        for (const [keyGroup, name, key, value] of entries) {
          const expected = keyGroupForKeyString(key, this.maxParallelism);
          if (expected !== keyGroup) {
            throw new Error(
              `keyed state file ${handle.file} puts key ${JSON.stringify(key)} in key group ${keyGroup}, ` +
                `but with maxParallelism ${this.maxParallelism} it belongs in ${expected}: ` +
                'state cannot be restored with a different maxParallelism',
            );
          }
          const table = this.tableState(name);
          table.onDisk = true;
          table.cache.delete(key);
          if (visit?.visits(name)) visit.entry(name, key, value instanceof PackedStateValue ? unpackStateValue(value.bytes) : value);
          const packed = value === DELETED_STATE_ENTRY ? null : value instanceof PackedStateValue ? value.bytes : packValue(table, key, value);
          encoded.push([encodeKey(keyGroup, table.id, key), packed]);
        }
        if (encoded.length >= RESTORE_BATCH) await write();
      }
      if (encoded.length > 0) await write();
    }
    await this.files.adoptRestored(directory, handles);
  }

  /** Releases open snapshots, waits for snapshot writes in progress, and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.openSnapshots) void session.close().catch(() => undefined);
    this.openSnapshots.clear();
    await this.files.closing();
    for (const table of this.tables.values()) table.cache.clear();
    this.dirty.length = 0;
    await this.db.close();
    await this.files.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('RocksDB keyed state: the backend is closed');
  }
}
