// Fetched records of one partition as positions into the fetch response's bytes (see FetchedRecords).
import { readVarint, type Cursor } from './zigzag-varint.ts';

/** A fetched Kafka record as kafkajs decodes it. */
export interface FetchedMessage {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  offset: string;
  headers?: Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>;
}

/**
 * Fetched records of one partition, in offset order, kept as positions into
 * the fetch response's bytes (one column per field) rather than one object
 * and two Buffer slices per record: deserializers read values straight from
 * the response (`valueText`), and `message(i)` builds kafkajs-style objects
 * only where a user function or a dead letter needs them.
 */
export class FetchedRecords {
  private count = 0;
  private offsets: Float64Array;
  private timestamps: Float64Array;
  /** The bytes records live in: the response, and decompressed batches. */
  private readonly sources: Buffer[] = [];
  private sourceOf: Int32Array;
  private keyStarts: Int32Array;
  /** -1: null key. */
  private keyLengths: Int32Array;
  private valueStarts: Int32Array;
  /** -1: null value (a tombstone). */
  private valueLengths: Int32Array;
  /** Where the record's header count is; -1 when it has no headers. */
  private headerStarts: Int32Array;

  /** Room for `capacity` records to start with (the record counts the fetched batches announce). */
  constructor(capacity: number) {
    capacity = Math.max(1, capacity);
    this.offsets = new Float64Array(capacity);
    this.timestamps = new Float64Array(capacity);
    this.sourceOf = new Int32Array(capacity);
    this.keyStarts = new Int32Array(capacity);
    this.keyLengths = new Int32Array(capacity);
    this.valueStarts = new Int32Array(capacity);
    this.valueLengths = new Int32Array(capacity);
    this.headerStarts = new Int32Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Makes `buffer` the bytes of the records pushed from now on. */
  useSource(buffer: Buffer): void {
    if (this.sources.at(-1) !== buffer) this.sources.push(buffer);
  }

  /** Appends one record, in the last source given to `useSource` (used by the record batch decoder). */
  push(offset: number, timestamp: number, keyStart: number, keyLength: number, valueStart: number, valueLength: number, headerStart: number): void {
    const i = this.count;
    if (i >= this.offsets.length) this.grow();
    this.offsets[i] = offset;
    this.timestamps[i] = timestamp;
    this.sourceOf[i] = this.sources.length - 1;
    this.keyStarts[i] = keyStart;
    this.keyLengths[i] = keyLength;
    this.valueStarts[i] = valueStart;
    this.valueLengths[i] = valueLength;
    this.headerStarts[i] = headerStart;
    this.count = i + 1;
  }

  private grow(): void {
    const size = this.offsets.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.offsets = f64(this.offsets);
    this.timestamps = f64(this.timestamps);
    this.sourceOf = i32(this.sourceOf);
    this.keyStarts = i32(this.keyStarts);
    this.keyLengths = i32(this.keyLengths);
    this.valueStarts = i32(this.valueStarts);
    this.valueLengths = i32(this.valueLengths);
    this.headerStarts = i32(this.headerStarts);
  }

  /** Drops the records from index `count` on. */
  truncate(count: number): void {
    this.count = Math.min(this.count, Math.max(0, count));
  }

  offset(i: number): number {
    return this.offsets[i]!;
  }

  timestamp(i: number): number {
    return this.timestamps[i]!;
  }

  hasValue(i: number): boolean {
    return this.valueLengths[i]! >= 0;
  }

  /** The value decoded as UTF-8; null for a tombstone. */
  valueText(i: number): string | null {
    const length = this.valueLengths[i]!;
    if (length < 0) return null;
    const start = this.valueStarts[i]!;
    return this.sources[this.sourceOf[i]!]!.toString('utf8', start, start + length);
  }

  /** The value's bytes (a view into the fetched data); null for a tombstone. */
  value(i: number): Buffer | null {
    const length = this.valueLengths[i]!;
    if (length < 0) return null;
    const start = this.valueStarts[i]!;
    return this.sources[this.sourceOf[i]!]!.subarray(start, start + length);
  }

  /** The key's bytes (a view into the fetched data); null when the record has none. */
  key(i: number): Buffer | null {
    const length = this.keyLengths[i]!;
    if (length < 0) return null;
    const start = this.keyStarts[i]!;
    return this.sources[this.sourceOf[i]!]!.subarray(start, start + length);
  }

  /** Headers as kafkajs gives them: a name seen more than once maps to an array of its values. */
  headers(i: number): Record<string, Buffer | (Buffer | null)[] | null> {
    const out: Record<string, Buffer | (Buffer | null)[] | null> = {};
    const at = this.headerStarts[i]!;
    if (at < 0) return out;
    const buf = this.sources[this.sourceOf[i]!]!;
    const cursor: Cursor = { pos: at };
    const count = readVarint(buf, cursor);
    for (let h = 0; h < count; h++) {
      const nameLength = readVarint(buf, cursor);
      const name = buf.toString('utf8', cursor.pos, cursor.pos + nameLength);
      cursor.pos += nameLength;
      const valueLength = readVarint(buf, cursor);
      const value = valueLength < 0 ? null : buf.subarray(cursor.pos, cursor.pos + valueLength);
      if (valueLength > 0) cursor.pos += valueLength;
      const seen = out[name];
      if (seen === undefined) out[name] = value;
      else if (Array.isArray(seen)) seen.push(value);
      else out[name] = [seen, value];
    }
    return out;
  }

  /** Record `i` as a kafkajs-style message. */
  message(i: number): FetchedMessage {
    return {
      key: this.key(i),
      value: this.value(i),
      timestamp: String(this.timestamps[i]),
      offset: String(this.offsets[i]),
      headers: this.headers(i) as FetchedMessage['headers'],
    };
  }
}
