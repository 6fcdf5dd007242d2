// Decodes the record set of a fetch response (Kafka record batches, magic
// v2) into FetchedRecords, with read_committed filtering done per batch the
// way the Java consumer does it (Fetcher/CompletedFetch): a transactional
// batch is skipped when its producer has an aborted transaction that starts
// at or before the batch's last offset and whose ABORT marker has not been
// passed yet; control batches (transaction markers) are never returned.
import { createRequire } from 'node:module';
import { FetchedRecords } from './fetched-records.ts';
import { readVarint, type Cursor } from './zigzag-varint.ts';
import { readInt64 } from './kafka-wire.ts';

const require = createRequire(import.meta.url);

/** An aborted transaction as a read_committed fetch response lists it. */
export interface AbortedTransactionRange {
  producerId: bigint;
  firstOffset: number;
}

/** What a record set held from the fetch offset on. */
export interface DecodedRecordSet {
  records: FetchedRecords;
  /**
   * Where the next fetch starts: after the last offset of the last complete
   * batch (control and aborted batches included); `fetchOffset` when the set
   * held no complete batch.
   */
  nextOffset: number;
}

/** Bytes of a batch header up to and including the record count. */
export const BATCH_HEADER_SIZE = 61;
const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

interface Codec {
  decompress(bytes: Buffer): Promise<Buffer>;
}
type LookupCodec = (attributes: number) => Codec | null;
let lookupCodec: LookupCodec | undefined;

/** kafkajs's codec registry: GZIP built in, Snappy, LZ4 and ZSTD when the application registered their codecs. */
function codecOf(attributes: number): Codec {
  lookupCodec ??= (require('kafkajs/src/protocol/message/compression/index.js') as { lookupCodecByAttributes: LookupCodec }).lookupCodecByAttributes;
  const codec = lookupCodec(attributes);
  if (!codec) throw new Error(`unknown compression codec ${attributes & COMPRESSION_MASK} in a Kafka record batch`);
  return codec;
}

/**
 * Decodes `set`, a partition's record set, keeping records at or after
 * `fetchOffset`. `aborted` is the response's aborted-transaction list
 * (read_committed; null or empty otherwise). A batch cut off at the end of
 * the set (the fetch size limit) is left for the next fetch.
 */
export async function decodeRecordSet(set: Buffer, fetchOffset: number, aborted: readonly AbortedTransactionRange[] | null): Promise<DecodedRecordSet> {
  const records = new FetchedRecords(countRecords(set));
  const pending = aborted && aborted.length > 0 ? [...aborted].sort((a, b) => a.firstOffset - b.firstOffset) : [];
  const abortedProducers = new Set<bigint>();
  let nextPending = 0;
  let nextOffset = fetchOffset;
  let pos = 0;
  while (pos + BATCH_HEADER_SIZE <= set.length) {
    const baseOffset = readInt64(set, pos);
    const batchLength = set.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (end > set.length) break;
    const magic = set.readInt8(pos + 16);
    if (magic !== 2) {
      throw new Error(`the partition holds records in message format v${magic} (Kafka before 0.11): convert the topic to format v2 (message.format.version) or read it with an older client`);
    }
    const attributes = set.readInt16BE(pos + 21);
    const lastOffset = baseOffset + set.readInt32BE(pos + 23);
    const batchStart = pos;
    pos = end;
    if (lastOffset + 1 > nextOffset) nextOffset = lastOffset + 1;
    const producerId = set.readBigInt64BE(batchStart + 43);
    if (pending.length > 0 && producerId >= 0n) {
      while (nextPending < pending.length && pending[nextPending]!.firstOffset <= lastOffset) abortedProducers.add(pending[nextPending++]!.producerId);
      if (attributes & CONTROL) {
        if (isAbortMarker(set, batchStart, end, attributes)) abortedProducers.delete(producerId);
        continue;
      }
      if (attributes & TRANSACTIONAL && abortedProducers.has(producerId)) continue;
    }
    if (attributes & CONTROL || lastOffset < fetchOffset) continue;
    const baseTimestamp = readInt64(set, batchStart + 27);
    const logAppendTime = attributes & LOG_APPEND_TIME ? readInt64(set, batchStart + 35) : undefined;
    const count = set.readInt32BE(batchStart + 57);
    let bytes = set;
    let at = batchStart + BATCH_HEADER_SIZE;
    if (attributes & COMPRESSION_MASK) {
      bytes = await codecOf(attributes).decompress(set.subarray(at, end));
      at = 0;
    }
    records.useSource(bytes);
    decodeRecords(bytes, at, count, baseOffset, baseTimestamp, logAppendTime, fetchOffset, records);
  }
  return { records, nextOffset };
}

/** About how many records the complete batches of `set` hold (what is kept is at most that for uncompressed batches). */
function countRecords(set: Buffer): number {
  let total = 0;
  for (let pos = 0; pos + BATCH_HEADER_SIZE <= set.length; ) {
    const end = pos + 12 + set.readInt32BE(pos + 8);
    if (end > set.length || set.readInt8(pos + 16) !== 2) break;
    // An uncompressed record takes at least 7 bytes: a corrupt count cannot make this allocate much (FetchedRecords grows if needed).
    total += Math.max(0, Math.min(set.readInt32BE(pos + 57), Math.ceil((end - pos) / 7)));
    pos = end;
  }
  return total;
}

function decodeRecords(buf: Buffer, start: number, count: number, baseOffset: number, baseTimestamp: number, logAppendTime: number | undefined, fetchOffset: number, out: FetchedRecords): void {
  const cursor: Cursor = { pos: start };
  for (let r = 0; r < count; r++) {
    const length = readVarint(buf, cursor);
    const recordEnd = cursor.pos + length;
    if (recordEnd > buf.length) throw new RangeError('a record runs past the end of its Kafka record batch');
    cursor.pos++; // attributes (unused)
    const timestampDelta = readVarint(buf, cursor);
    const offset = baseOffset + readVarint(buf, cursor);
    const keyLength = readVarint(buf, cursor);
    const keyStart = cursor.pos;
    if (keyLength > 0) cursor.pos += keyLength;
    const valueLength = readVarint(buf, cursor);
    const valueStart = cursor.pos;
    if (valueLength > 0) cursor.pos += valueLength;
    const headerStart = cursor.pos < recordEnd && buf[cursor.pos] !== 0 ? cursor.pos : -1;
    cursor.pos = recordEnd;
    if (offset < fetchOffset) continue;
    out.push(offset, logAppendTime ?? baseTimestamp + timestampDelta, keyStart, keyLength, valueStart, valueLength, headerStart);
  }
}

/** A control batch holding an ABORT marker (control record key: version int16, type int16 = 0). */
function isAbortMarker(set: Buffer, batchStart: number, end: number, attributes: number): boolean {
  if (attributes & COMPRESSION_MASK) return false;
  const cursor: Cursor = { pos: batchStart + BATCH_HEADER_SIZE };
  if (cursor.pos >= end) return false;
  readVarint(set, cursor); // record length
  cursor.pos++; // attributes
  readVarint(set, cursor); // timestamp delta
  readVarint(set, cursor); // offset delta
  const keyLength = readVarint(set, cursor);
  return keyLength >= 4 && set.readInt16BE(cursor.pos + 2) === 0;
}
