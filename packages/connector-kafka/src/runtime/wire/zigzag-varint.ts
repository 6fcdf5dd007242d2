// Kafka's variable-length integers (protobuf's zigzag varints), as record
// batches v2 use them for record lengths, deltas, keys, values and headers.
// Values are JavaScript numbers: exact up to 2^53, which covers every
// length and every offset or timestamp delta a broker produces.

/** A position in a buffer that varint reads advance. */
export interface Cursor {
  pos: number;
}

/** Reads a zigzag varint (or varlong) at `cursor.pos` and advances past it. */
export function readVarint(buf: Uint8Array, cursor: Cursor): number {
  let p = cursor.pos;
  let b = buf[p++]!;
  if (b < 0x80) {
    cursor.pos = p;
    return b & 1 ? -((b + 1) / 2) : b / 2;
  }
  let value = b & 0x7f;
  let scale = 128;
  for (;;) {
    if (p >= buf.length) throw new RangeError('truncated varint in a Kafka record batch');
    b = buf[p++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
    if (scale > 2 ** 63) throw new RangeError('varint longer than 10 bytes in a Kafka record batch');
  }
  cursor.pos = p;
  return value % 2 === 1 ? -((value + 1) / 2) : value / 2;
}

/** The number of bytes `value` takes as a zigzag varint. */
export function varintSize(value: number): number {
  let u = value < 0 ? -2 * value - 1 : 2 * value;
  let size = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

/** Writes `value` as a zigzag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let u = value < 0 ? -2 * value - 1 : 2 * value;
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}
