// Encodes records as one Kafka record batch (magic v2, uncompressed), the
// bytes a Produce request carries per partition. Records are written into
// one growing buffer as they come (RecordBatchBuilder), so a sink holds
// encoded bytes rather than an object and a string per record; the header
// (producer, epoch, sequence) and the CRC-32C are written when the batch is
// sent, and again if it is sent again.
import { crc32c } from './crc32c.ts';
import { BATCH_HEADER_SIZE } from './record-batch-decoder.ts';
import { varintSize, writeVarint } from './zigzag-varint.ts';

/** Record bytes: a string is written as UTF-8. */
export type RecordBytes = Buffer | string | null | undefined;

/** Header values by name; a name with several values maps to an array. */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A record to produce: kafkajs's Message fields the sink uses. */
export interface OutgoingRecord {
  key?: RecordBytes;
  value: RecordBytes;
  headers?: RecordHeaders;
  /** Create time (ms); the batch's time when absent. */
  timestamp?: string | number;
}

/** Who writes the batch: idempotent and transactional producers have an id, an epoch and a sequence. */
export interface BatchProducer {
  /** -1: not idempotent. */
  producerId: bigint;
  producerEpoch: number;
  /** The sequence number of the first record (-1 when not idempotent). */
  baseSequence: number;
  transactional: boolean;
}

const TRANSACTIONAL = 0x10;
const CRC_START = 21;

function lengthOf(data: RecordBytes): number {
  if (data === null || data === undefined) return -1;
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
}

function flatHeaders(headers: RecordHeaders): [string, Buffer | string][] {
  const out: [string, Buffer | string][] = [];
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([name, x]);
    else out.push([name, v]);
  }
  return out;
}

/** Builds one record batch record by record. */
export class RecordBatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_SIZE;
  private count = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  constructor(initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, BATCH_HEADER_SIZE + 64));
  }

  get recordCount(): number {
    return this.count;
  }

  /** The batch's size in bytes so far, header included. */
  get sizeBytes(): number {
    return this.pos;
  }

  /** Appends a record; `timestamp` is its create time in ms. */
  append(key: RecordBytes, value: RecordBytes, timestamp: number, headers?: RecordHeaders): void {
    if (this.count === 0) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    } else if (timestamp > this.maxTimestamp) {
      this.maxTimestamp = timestamp;
    }
    const timestampDelta = timestamp - this.baseTimestamp;
    const offsetDelta = this.count;
    const keyLength = lengthOf(key);
    if (typeof value === 'string' && !headers && this.appendAscii(key, keyLength, value, timestampDelta, offsetDelta)) return;
    const valueLength = lengthOf(value);
    let body = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + varintSize(keyLength) + Math.max(0, keyLength) + varintSize(valueLength) + Math.max(0, valueLength);
    let list: [string, Buffer | string][] | undefined;
    if (headers) {
      list = flatHeaders(headers);
      body += varintSize(list.length);
      for (const [name, v] of list) {
        const nameLength = Buffer.byteLength(name, 'utf8');
        const vLength = lengthOf(v);
        body += varintSize(nameLength) + nameLength + varintSize(vLength) + vLength;
      }
    } else {
      body += 1;
    }
    this.ensure(varintSize(body) + body);
    const buf = this.buf;
    let p = this.writeHead(body, timestampDelta, offsetDelta, key, keyLength);
    p = writeVarint(buf, p, valueLength);
    if (valueLength > 0) p = this.write(p, value!, valueLength);
    if (list) {
      p = writeVarint(buf, p, list.length);
      for (const [name, v] of list) {
        const nameLength = Buffer.byteLength(name, 'utf8');
        p = writeVarint(buf, p, nameLength);
        p = this.write(p, name, nameLength);
        const vLength = lengthOf(v);
        p = writeVarint(buf, p, vLength);
        if (vLength > 0) p = this.write(p, v, vLength);
      }
    } else {
      buf[p++] = 0; // no headers
    }
    this.pos = p;
    this.count++;
  }

  /** Writes a record's length, attributes, deltas and key at the end of the buffer; returns where the value goes. */
  private writeHead(body: number, timestampDelta: number, offsetDelta: number, key: RecordBytes, keyLength: number): number {
    const buf = this.buf;
    let p = writeVarint(buf, this.pos, body);
    buf[p++] = 0; // record attributes
    p = writeVarint(buf, p, timestampDelta);
    p = writeVarint(buf, p, offsetDelta);
    p = writeVarint(buf, p, keyLength);
    if (keyLength > 0) p = this.write(p, key!, keyLength);
    return p;
  }

  /**
   * One pass for the common case of a string value in ASCII: it is written
   * where it goes if its UTF-8 length is its length, and that is checked
   * from what the write returns; false (nothing appended) otherwise.
   */
  private appendAscii(key: RecordBytes, keyLength: number, value: string, timestampDelta: number, offsetDelta: number): boolean {
    const length = value.length;
    const head = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + varintSize(keyLength) + Math.max(0, keyLength) + varintSize(length);
    const body = head + length + 1;
    // Room for the worst case (3 bytes per UTF-16 unit), so the write below never stops short.
    this.ensure(varintSize(body) + head + 3 * length + 1);
    const buf = this.buf;
    let p = this.writeHead(body, timestampDelta, offsetDelta, key, keyLength);
    p = writeVarint(buf, p, length);
    if (buf.write(value, p, 'utf8') !== length) return false;
    p += length;
    buf[p++] = 0; // no headers
    this.pos = p;
    this.count++;
    return true;
  }

  /** The batch as `producer` sends it: a view of the builder's buffer, valid until the next append or build. */
  build(producer: BatchProducer): Buffer {
    if (this.count === 0) throw new RangeError('a Kafka record batch needs at least one record');
    const buf = this.buf;
    const total = this.pos;
    buf.writeInt32BE(0, 0); // base offset (int64 0): the broker assigns offsets
    buf.writeInt32BE(0, 4);
    buf.writeInt32BE(total - 12, 8);
    buf.writeInt32BE(-1, 12); // partition leader epoch
    buf.writeInt8(2, 16); // magic
    buf.writeInt16BE(producer.transactional ? TRANSACTIONAL : 0, CRC_START);
    buf.writeInt32BE(this.count - 1, 23); // last offset delta
    buf.writeBigInt64BE(BigInt(this.baseTimestamp), 27);
    buf.writeBigInt64BE(BigInt(this.maxTimestamp), 35);
    buf.writeBigInt64BE(producer.producerId, 43);
    buf.writeInt16BE(producer.producerEpoch, 51);
    buf.writeInt32BE(producer.baseSequence, 53);
    buf.writeInt32BE(this.count, 57);
    buf.writeUInt32BE(crc32c(buf, CRC_START, total), 17);
    return buf.subarray(0, total);
  }

  private write(p: number, data: Buffer | string, length: number): number {
    if (typeof data === 'string') this.buf.write(data, p, length, 'utf8');
    else data.copy(this.buf, p);
    return p + length;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** Encodes `records` as one record batch written by `producer` (records without a timestamp get `now`). */
export function encodeRecordBatch(records: readonly OutgoingRecord[], producer: BatchProducer, now = Date.now()): Buffer {
  const builder = new RecordBatchBuilder();
  for (const r of records) builder.append(r.key, r.value, r.timestamp === undefined || r.timestamp === null ? now : Number(r.timestamp), r.headers);
  return builder.build(producer);
}
