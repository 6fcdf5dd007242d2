import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { keyGroupForKeyString, type KeyGroupRange } from '@weir/common/runtime';
import { MERGE_MAX_ENTRIES, materializeChain } from './chain-materialization.ts';
import { IncrementalSnapshotChain, type ChainFile } from './incremental-snapshot-chain.ts';
import type { KeyedStateBackend, KeyedStateHandle, KeyedStateSnapshot, RestoreVisitor, StateTable } from './keyed-state-backend.ts';
import { KEYED_STATE_CHUNK, readKeyedStateEntries, writeKeyedStateFile, type KeyedStatePackedBlock } from './keyed-state-file.ts';
import { DELETED_STATE_ENTRY, PackedStateValue, packStateValue, unpackStateValue } from './state-value-codec.ts';

// rocksdb-native ships no type declarations: the parts used here, typed locally.
interface RocksReadBatch {
  get(key: Buffer): Promise<Buffer | null>;
  flush(): Promise<void>;
}
interface RocksWriteBatch {
  tryPut(key: Buffer, value: Buffer | Uint8Array): void;
  tryDelete(key: Buffer): void;
  flush(): Promise<void>;
}
interface RocksIterator extends AsyncIterable<{ key: Buffer; value: Buffer }> {
  destroy(): void;
}
interface RocksSession {
  ready(): Promise<void>;
  read(options?: { capacity?: number; autoDestroy?: boolean }): RocksReadBatch;
  write(options?: { capacity?: number; autoDestroy?: boolean }): RocksWriteBatch;
  iterator(range: object, options?: { capacity?: number }): RocksIterator;
  snapshot(): RocksSession;
  close(): Promise<void>;
  readonly stats: { readBatches: number; writeBatches: number; gets: number; puts: number; deletes: number };
}
type RocksDBConstructor = new (path: string, options?: Record<string, unknown>) => RocksSession;

const RocksDB = createRequire(import.meta.url)('rocksdb-native') as RocksDBConstructor;

/** Marks a cached key known to have no value. */
const ABSENT: unique symbol = Symbol('absent');

/** Entries written per RocksDB write batch on restore. */
const RESTORE_BATCH = 50_000;
/** Entries read per native iterator step when writing a snapshot file. */
const SCAN_BATCH = 8_192;
/** Table ids take two bytes of every RocksDB key. */
const MAX_TABLES = 0x10000;
/** A full snapshot replaces an incremental chain once its deltas hold at least this many entries (and as many as its base). */
const MATERIALIZE_MIN_ENTRIES = 10_000;
/** ... or once the chain has this many files. */
const MATERIALIZE_MAX_FILES = 8;
/** How long after its checkpoint is written a materialization merge starts (the checkpoint completes meanwhile). */
const MATERIALIZE_DELAY_MS = 1_000;
/** Changes held in memory between two checkpoints before they go to a delta file early. */
const SPILL_ENTRIES = 200_000;

interface CacheEntry {
  value: unknown;
  dirty: boolean;
}

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

/** The RocksDB key of `key` in table `tableId`: key group (2 bytes BE), table id (2 bytes BE), UTF-8 key. */
function encodeKey(keyGroup: number, tableId: number, key: string): Buffer {
  const buffer = Buffer.allocUnsafe(4 + Buffer.byteLength(key, 'utf8'));
  buffer.writeUInt16BE(keyGroup, 0);
  buffer.writeUInt16BE(tableId, 2);
  buffer.write(key, 4, 'utf8');
  return buffer;
}

/** A value as stored in RocksDB, naming the entry when it cannot be encoded. */
function packValue(table: { name: string }, key: string, value: unknown): Buffer {
  try {
    return packStateValue(value);
  } catch (error) {
    throw new Error(`keyed state: the value of key ${JSON.stringify(key)} in table '${table.name}' cannot be encoded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** One state table: a write-back cache in front of the table's RocksDB entries. */
class CachedTable implements StateTable {
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
  private readonly dirty: [CachedTable, string, CacheEntry][];

  constructor(id: number, name: string, dirty: [CachedTable, string, CacheEntry][]) {
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
  private readonly dirty: [CachedTable, string, CacheEntry][] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly openSnapshots = new Set<RocksSession>();
  private readonly pendingWrites = new Set<Promise<unknown>>();
  private readonly chain: IncrementalSnapshotChain | undefined;
  /** The next snapshot must be full (no chain yet that it could extend, or a delta failed). */
  private chainBroken = false;
  /** Delta files written since the last snapshot because the changes grew large (part of the next checkpoint). */
  private readonly spilled: Promise<ChainFile>[] = [];
  /** A full snapshot being written to replace the chain. */
  private materializing = false;
  private readonly materialization: { minEntries: number; maxFiles: number };
  private readonly spillEntries: number;
  private closed = false;

  private constructor(db: RocksSession, options: RocksDBKeyedStateBackendOptions) {
    this.db = db;
    this.keyGroupRange = options.keyGroupRange;
    this.maxParallelism = options.maxParallelism;
    this.cacheEntries = options.cacheEntries ?? 100_000;
    this.materialization = options.materialization ?? { minEntries: MATERIALIZE_MIN_ENTRIES, maxFiles: MATERIALIZE_MAX_FILES };
    this.spillEntries = options.spillEntries ?? SPILL_ENTRIES;
    this.chain = options.stagingDirectory === undefined ? undefined : new IncrementalSnapshotChain(options.stagingDirectory);
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
      if (this.chain) table.changes = new Map();
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
      if (this.chain) {
        let changed = 0;
        for (let i = 0; i < written.length; i++) written[i]![0].changes!.set(written[i]![1], encoded[i]![1] ?? null);
        for (const table of this.tables.values()) changed += table.changes!.size;
        // Many changes between two checkpoints go to a delta file early rather than piling up in memory.
        if (changed >= this.spillEntries) {
          const spilled = this.appendChanges(this.chain);
          if (spilled) this.spilled.push(spilled);
        }
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
    while (this.materializing) await new Promise<void>((resolve) => setTimeout(resolve, 5));
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
    const { keyGroupRange, maxParallelism, openSnapshots } = this;
    // A materialization merge waits until this snapshot's checkpoint is written (or released), so its CPU does not
    // fall into the checkpoint.
    let checkpointWritten!: () => void;
    const afterCheckpoint = new Promise<void>((resolve) => (checkpointWritten = resolve));
    const chainView = this.chain ? this.extendChain(this.chain, session, tableNames, afterCheckpoint) : undefined;
    let released = false;
    const chain = this.chain;
    return {
      write: (directory: string, fileName: string): Promise<KeyedStateHandle> => {
        if (released) return Promise.reject(new Error('RocksDB keyed state: write() of a released snapshot'));
        return this.writeFull(session, tableNames, directory, fileName, { maxParallelism, keyGroupRange });
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
   * The chain part of a snapshot: the changes since the last snapshot go to
   * a delta file (or, when there is no chain to extend, the whole snapshot
   * to a new base); returns the chain files this snapshot references.
   */
  private extendChain(
    chain: IncrementalSnapshotChain,
    session: RocksSession,
    tableNames: readonly string[],
    afterCheckpoint: Promise<void>,
  ): { files: readonly Promise<ChainFile>[]; written: Promise<ChainFile>[] } {
    const header = { maxParallelism: this.maxParallelism, keyGroupRange: this.keyGroupRange };
    const written = this.spilled.splice(0);
    if (this.chainBroken) {
      this.chainBroken = false;
      for (const table of this.tables.values()) table.changes = new Map();
      const path = chain.newPath('base');
      const base = this.writeFull(session, tableNames, dirname(path), basename(path), header).then((handle) => ({ path, handle }));
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
          : this.writeFull(session, tableNames, dirname(path), basename(path), header);
      void this.track(handle)
        .then((h) => chain.materialized(view.generation, view.length, { path, handle: h }))
        .catch(() => undefined)
        .finally(() => (this.materializing = false));
    }
    return { files: view.files, written };
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
    const header = { maxParallelism: this.maxParallelism, keyGroupRange: this.keyGroupRange };
    const path = chain.newPath('delta');
    const maxParallelism = this.maxParallelism;
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
    const delta = this.track(writeKeyedStateFile(dirname(path), basename(path), header, blocks())).then((handle) => ({ path, handle }));
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

  /** Writes everything a RocksDB snapshot holds to one file, copying values as packed bytes. */
  private writeFull(
    session: RocksSession,
    tableNames: readonly string[],
    directory: string,
    fileName: string,
    header: { maxParallelism: number; keyGroupRange: KeyGroupRange },
  ): Promise<KeyedStateHandle> {
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
    const written = writeKeyedStateFile(directory, fileName, header, blocks());
    // Whatever happened, free the iterator: an open one keeps the database from closing.
    return this.track(
      written.finally(() => {
        iterator.destroy();
      }),
    );
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
          if (visit && name.startsWith(visit.tablePrefix)) visit.entry(name, key, value instanceof PackedStateValue ? unpackStateValue(value.bytes) : value);
          const packed = value === DELETED_STATE_ENTRY ? null : value instanceof PackedStateValue ? value.bytes : packValue(table, key, value);
          encoded.push([encodeKey(keyGroup, table.id, key), packed]);
        }
        if (encoded.length >= RESTORE_BATCH) await write();
      }
      if (encoded.length > 0) await write();
    }
    if (this.chain) {
      // The restored files are the new chain's base; where they cannot be adopted, the first checkpoint is full.
      try {
        const adopted = await this.chain.adopt(directory, handles);
        this.chain.reset(adopted.map((file) => Promise.resolve(file)));
      } catch {
        this.chain.reset([]);
        this.chainBroken = true;
      }
      for (const table of this.tables.values()) table.changes = new Map();
    }
  }

  /** Releases open snapshots, waits for snapshot writes in progress, and closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.openSnapshots) void session.close().catch(() => undefined);
    this.openSnapshots.clear();
    await Promise.all(this.pendingWrites);
    for (const table of this.tables.values()) table.cache.clear();
    this.dirty.length = 0;
    await this.db.close();
    await this.chain?.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('RocksDB keyed state: the backend is closed');
  }
}
