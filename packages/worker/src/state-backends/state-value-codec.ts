import { Packr } from 'msgpackr';

/**
 * One keyed-state value as bytes: msgpack with the snapshot file's extended
 * types and no record structures, so a value packed once (by the RocksDB
 * backend when it writes the value) can be copied into snapshot files and
 * back into RocksDB without being decoded.
 */
const codec = new Packr({ useRecords: false, moreTypes: true });

/** Packs a state value. Throws msgpackr's error for values it cannot encode. */
export function packStateValue(value: unknown): Buffer {
  return codec.pack(value);
}

export function unpackStateValue(bytes: Uint8Array): unknown {
  return codec.unpack(bytes);
}

/** A state value still in its packed bytes (what incremental snapshot files hold), read without decoding. */
export class PackedStateValue {
  readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

/** In an incremental snapshot file's entries: the key was deleted since the files before it. */
export const DELETED_STATE_ENTRY: unique symbol = Symbol('deleted state entry');
