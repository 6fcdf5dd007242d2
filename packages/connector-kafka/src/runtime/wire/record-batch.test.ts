import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { crc32c } from './crc32c.ts';
import { decodeFetchResponse, encodeFetchRequest } from './fetch-protocol.ts';
import { decodeRecordSet } from './record-batch-decoder.ts';
import { encodeRecordBatch, type OutgoingRecord } from './record-batch-encoder.ts';
import { decodeProduceResponse, encodeProduceRequest } from './produce-protocol.ts';

const require = createRequire(import.meta.url);
// kafkajs's own encoders and decoders, as the reference.
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: object) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<KafkajsBatch>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const kafkajsFetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/request.js') as (o: object) => { encode(): Promise<{ buffer: Buffer }> };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { GZIP: number } };

interface KafkajsBatch {
  inTransaction: boolean;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }[];
}

/** A batch as kafkajs's producer encodes it, at `baseOffset` as the broker would store it. */
async function kafkajsBatch(records: { key?: string | null; value: string | null; headers?: Record<string, string | string[]> }[], options: { baseOffset?: number; transactional?: boolean; producerId?: number; compression?: number; timestamp?: number } = {}): Promise<Buffer> {
  const ts = options.timestamp ?? 1_700_000_000_000;
  const batch = await RecordBatch({
    compression: options.compression ?? 0,
    firstTimestamp: ts,
    maxTimestamp: ts + records.length - 1,
    transactional: options.transactional ?? false,
    producerId: options.producerId ?? -1,
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) => KafkajsRecord({ key: r.key ?? null, value: r.value, headers: r.headers ?? {}, offsetDelta: i, timestampDelta: i })),
  });
  const buf = Buffer.from(batch.buffer);
  buf.writeBigInt64BE(BigInt(options.baseOffset ?? 0), 0);
  return buf;
}

/** A control batch (transaction marker) of `producerId` at `offset`: type 0 ABORT, 1 COMMIT. */
function marker(producerId: number, offset: number, type: 0 | 1): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  const batch = encodeRecordBatch([{ key, value: Buffer.alloc(6) }], { producerId: BigInt(producerId), producerEpoch: 0, baseSequence: -1, transactional: true });
  batch.writeBigInt64BE(BigInt(offset), 0);
  batch.writeInt16BE(0x30, 21); // transactional | control
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

function withOffset(batch: Buffer, offset: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(BigInt(offset), 0);
  return copy;
}

describe('crc32c', () => {
  it('matches kafkajs on short and long inputs', () => {
    for (const length of [0, 1, 7, 8, 9, 63, 1000]) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff));
      expect(crc32c(bytes)).toBe(kafkajsCrc32c(bytes));
    }
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('decodeRecordSet', () => {
  it('decodes what kafkajs encodes: keys, null keys, null values, headers, offsets and timestamps', async () => {
    const set = Buffer.concat([
      await kafkajsBatch([{ key: 'k0', value: '{"a":0}', headers: { h: 'x', multi: ['1', '2'] } }, { value: 'plain' }], { baseOffset: 10 }),
      await kafkajsBatch([{ key: 'k2', value: null }], { baseOffset: 12, timestamp: 1_800_000_000_000 }),
    ]);
    const { records, nextOffset } = await decodeRecordSet(set, 10, null);
    expect(nextOffset).toBe(13);
    expect(records.length).toBe(3);
    expect([0, 1, 2].map((i) => records.offset(i))).toEqual([10, 11, 12]);
    expect([0, 1, 2].map((i) => records.timestamp(i))).toEqual([1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000]);
    expect(records.valueText(0)).toBe('{"a":0}');
    expect(records.key(0)).toEqual(Buffer.from('k0'));
    expect(records.key(1)).toBeNull();
    expect(records.value(2)).toBeNull();
    expect(records.valueText(2)).toBeNull();
    expect(records.headers(0)).toEqual({ h: Buffer.from('x'), multi: [Buffer.from('1'), Buffer.from('2')] });
    expect(records.message(1)).toEqual({ key: null, value: Buffer.from('plain'), timestamp: '1700000000001', offset: '11', headers: {} });
  });

  it('skips records before the fetch offset and leaves a batch cut off at the end for the next fetch', async () => {
    const first = await kafkajsBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }], { baseOffset: 0 });
    const second = await kafkajsBatch([{ value: 'd' }], { baseOffset: 3 });
    const { records, nextOffset } = await decodeRecordSet(Buffer.concat([first, second.subarray(0, second.length - 3)]), 1, null);
    expect([records.valueText(0), records.valueText(1)]).toEqual(['b', 'c']);
    expect(records.length).toBe(2);
    expect(nextOffset).toBe(3);
    expect((await decodeRecordSet(Buffer.alloc(0), 7, null)).nextOffset).toBe(7);
  });

  it('decodes gzip-compressed batches, also ones holding far more records than their size suggests', async () => {
    const set = await kafkajsBatch([{ key: 'k', value: 'x'.repeat(200) }, { value: 'y' }], { baseOffset: 5, compression: Compression.GZIP });
    const { records, nextOffset } = await decodeRecordSet(set, 0, null);
    expect(nextOffset).toBe(7);
    expect(records.valueText(0)).toBe('x'.repeat(200));
    expect(records.key(0)).toEqual(Buffer.from('k'));
    expect(records.offset(1)).toBe(6);
    const many = Array.from({ length: 5000 }, () => ({ value: 'same' }));
    const dense = await decodeRecordSet(Buffer.concat([await kafkajsBatch([{ value: 'plain' }], { baseOffset: 0 }), await kafkajsBatch(many, { baseOffset: 1, compression: Compression.GZIP })]), 0, null);
    expect(dense.records.length).toBe(5001);
    expect(dense.records.valueText(0)).toBe('plain');
    expect(dense.records.valueText(5000)).toBe('same');
    expect(dense.records.offset(5000)).toBe(5000);
  });

  it('drops control batches and aborted transactions (read_committed), also when listed out of offset order', async () => {
    // Producer 1's transaction from offset 0 aborts at 4; producer 2's from 2 commits at 5; producer 3 writes outside transactions;
    // producer 2's second transaction (from 6) and producer 1's (from 7) abort, listed in the order they aborted.
    const set = Buffer.concat([
      await kafkajsBatch([{ value: 'p1-a' }, { value: 'p1-b' }], { baseOffset: 0, transactional: true, producerId: 1 }),
      await kafkajsBatch([{ value: 'p2-a' }], { baseOffset: 2, transactional: true, producerId: 2 }),
      await kafkajsBatch([{ value: 'p3' }], { baseOffset: 3, producerId: 3 }),
      marker(1, 4, 0),
      marker(2, 5, 1),
      await kafkajsBatch([{ value: 'p2-b' }], { baseOffset: 6, transactional: true, producerId: 2 }),
      await kafkajsBatch([{ value: 'p1-c' }], { baseOffset: 7, transactional: true, producerId: 1 }),
      marker(1, 8, 0),
      marker(2, 9, 0),
      await kafkajsBatch([{ value: 'p1-d' }], { baseOffset: 10, transactional: true, producerId: 1 }),
      marker(1, 11, 1),
    ]);
    const aborted = [
      { producerId: 2n, firstOffset: 6 },
      { producerId: 1n, firstOffset: 0 },
      { producerId: 1n, firstOffset: 7 },
    ];
    const committed = await decodeRecordSet(set, 0, aborted);
    expect(Array.from({ length: committed.records.length }, (_, i) => committed.records.valueText(i))).toEqual(['p2-a', 'p3', 'p1-d']);
    expect(committed.nextOffset).toBe(12);
    // read_uncommitted: no aborted list; markers are still dropped.
    const all = await decodeRecordSet(set, 0, null);
    expect(Array.from({ length: all.records.length }, (_, i) => all.records.valueText(i))).toEqual(['p1-a', 'p1-b', 'p2-a', 'p3', 'p2-b', 'p1-c', 'p1-d']);
  });

  it('refuses message formats before v2 with a message that says what to do', async () => {
    const batch = withOffset(await kafkajsBatch([{ value: 'a' }]), 0);
    batch.writeInt8(1, 16);
    await expect(decodeRecordSet(batch, 0, null)).rejects.toThrow(/message format v1/);
  });
});

describe('encodeRecordBatch', () => {
  it('writes batches kafkajs decodes, with a valid CRC, sequence, producer and transaction flag', async () => {
    const records: OutgoingRecord[] = [
      { key: 'k1', value: '{"n":1,"s":"héllo"}', headers: { h: 'v', multi: ['a', Buffer.from('b')] } },
      { key: null, value: Buffer.from('raw') },
      { value: null, timestamp: 1_700_000_000_500 },
      { key: 'k4', value: '{"ascii":true}' },
      { value: '' },
    ];
    const batch = encodeRecordBatch(records, { producerId: 4242n, producerEpoch: 3, baseSequence: 17, transactional: true }, 1_700_000_000_000);
    expect(batch.readUInt32BE(17)).toBe(kafkajsCrc32c(batch.subarray(21)));
    const decoded = await decodeKafkajsBatch(new Decoder(batch));
    expect(decoded).toMatchObject({ inTransaction: true, producerId: '4242', producerEpoch: 3, firstSequence: 17 });
    expect(decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      ['0', '1700000000000', 'k1', '{"n":1,"s":"héllo"}'],
      ['1', '1700000000000', null, 'raw'],
      ['2', '1700000000500', null, null],
      ['3', '1700000000000', 'k4', '{"ascii":true}'],
      ['4', '1700000000000', null, ''],
    ]);
    expect(decoded.records[0]!.headers).toEqual({ h: Buffer.from('v'), multi: [Buffer.from('a'), Buffer.from('b')] });
    // And our decoder reads it back.
    const { records: back } = await decodeRecordSet(batch, 0, null);
    expect(back.valueText(0)).toBe('{"n":1,"s":"héllo"}');
    expect(back.length).toBe(5);
  });

  it('writes a plain (non-idempotent) batch with no producer', async () => {
    const batch = encodeRecordBatch([{ value: 'x' }], { producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false });
    const decoded = await decodeKafkajsBatch(new Decoder(batch));
    expect(decoded).toMatchObject({ inTransaction: false, producerId: '-1', firstSequence: -1 });
  });
});

describe('Fetch and Produce protocol', () => {
  it('encodes the same Fetch v11 request as kafkajs', async () => {
    const topics = [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 123456789012, maxBytes: 1024 }, { partition: 3, fetchOffset: 0, maxBytes: 2048 }] }];
    const ours = encodeFetchRequest({ isolationLevel: 1, maxWaitMs: 200, minBytes: 1, maxBytes: 8192, topics });
    const theirs = await kafkajsFetchV11({
      replicaId: -1,
      isolationLevel: 1,
      maxWaitTime: 200,
      minBytes: 1,
      maxBytes: 8192,
      topics: topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ ...p, fetchOffset: String(p.fetchOffset) })) })),
    }).encode();
    expect(ours).toEqual(theirs.buffer);
  });

  it('decodes a Fetch v11 response: errors, high watermark, aborted transactions and the raw record set', () => {
    const set = Buffer.from('records!');
    const parts: Buffer[] = [];
    const i16 = (v: number): Buffer => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
    const i32 = (v: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v);
      return b;
    };
    const i64 = (v: bigint): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v);
      return b;
    };
    parts.push(i32(0), i16(0), i32(0), i32(1), i16(1), Buffer.from('t'), i32(2));
    parts.push(i32(0), i16(0), i64(99n), i64(98n), i64(0n), i32(1), i64(7n), i64(50n), i32(-1), i32(set.length), set);
    parts.push(i32(1), i16(1), i64(-1n), i64(-1n), i64(-1n), i32(-1), i32(-1), i32(0));
    const response = decodeFetchResponse(Buffer.concat(parts));
    expect(response.errorCode).toBe(0);
    expect(response.partitions[0]).toEqual({ topic: 't', partition: 0, errorCode: 0, highWatermark: 99, abortedTransactions: [{ producerId: 7n, firstOffset: 50 }], recordSet: set });
    expect(response.partitions[1]).toMatchObject({ partition: 1, errorCode: 1, abortedTransactions: null });
    expect(response.partitions[1]!.recordSet.length).toBe(0);
  });

  it('encodes a Produce request with one batch per partition and decodes its response', () => {
    const batch = encodeRecordBatch([{ value: 'v' }], { producerId: 1n, producerEpoch: 0, baseSequence: 0, transactional: true });
    const body = encodeProduceRequest({ transactionalId: 'tx', acks: -1, timeoutMs: 30_000, topics: [{ topic: 'out', partitions: [{ partition: 2, batch }] }] });
    expect(body.readInt16BE(0)).toBe(2);
    expect(body.toString('utf8', 2, 4)).toBe('tx');
    expect(body.readInt16BE(4)).toBe(-1);
    expect(body.subarray(body.length - batch.length)).toEqual(batch);
    const response = Buffer.alloc(4 + 2 + 3 + 4 + 4 + 2 + 8 + 8 + 8 + 4);
    let p = response.writeInt32BE(1, 0);
    p = response.writeInt16BE(3, p);
    p += response.write('out', p);
    p = response.writeInt32BE(1, p);
    p = response.writeInt32BE(2, p);
    p = response.writeInt16BE(0, p);
    response.writeBigInt64BE(77n, p);
    expect(decodeProduceResponse(response, 5)).toEqual([{ topic: 'out', partition: 2, errorCode: 0, baseOffset: 77 }]);
  });
});
