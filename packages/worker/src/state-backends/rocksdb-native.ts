// The parts of rocksdb-native this backend uses, typed locally (the package
// ships no declarations), and the layout of its keys.
import { createRequire } from 'node:module';

/** A batch of point reads. */
export interface RocksReadBatch {
  get(key: Buffer): Promise<Buffer | null>;
  flush(): Promise<void>;
}
/** A batch of writes, applied atomically on flush. */
export interface RocksWriteBatch {
  tryPut(key: Buffer, value: Buffer | Uint8Array): void;
  tryDelete(key: Buffer): void;
  flush(): Promise<void>;
}
/** An iterator over a key range. */
export interface RocksIterator extends AsyncIterable<{ key: Buffer; value: Buffer }> {
  destroy(): void;
}
/** An open database, or a snapshot of one. */
export interface RocksSession {
  ready(): Promise<void>;
  read(options?: { capacity?: number; autoDestroy?: boolean }): RocksReadBatch;
  write(options?: { capacity?: number; autoDestroy?: boolean }): RocksWriteBatch;
  iterator(range: object, options?: { capacity?: number; values?: boolean }): RocksIterator;
  snapshot(): RocksSession;
  close(): Promise<void>;
  readonly stats: { readBatches: number; writeBatches: number; gets: number; puts: number; deletes: number };
}
/** Opens a database in a directory. */
export type RocksDBConstructor = new (path: string, options?: Record<string, unknown>) => RocksSession;

/** rocksdb-native's database class (loaded with require: a native addon). */
export const RocksDB = createRequire(import.meta.url)('rocksdb-native') as RocksDBConstructor;

/** Table ids take two bytes of every RocksDB key. */
export const MAX_TABLES = 0x10000;

/** The RocksDB key of `key` in table `tableId`: key group (2 bytes BE), table id (2 bytes BE), UTF-8 key. */
export function encodeKey(keyGroup: number, tableId: number, key: string): Buffer {
  const buffer = Buffer.allocUnsafe(4 + Buffer.byteLength(key, 'utf8'));
  buffer.writeUInt16BE(keyGroup, 0);
  buffer.writeUInt16BE(tableId, 2);
  buffer.write(key, 4, 'utf8');
  return buffer;
}

