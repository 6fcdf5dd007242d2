// The Fetch request (API key 1, version 11) and its response, encoded and
// decoded here rather than by kafkajs: the response's record sets stay raw
// bytes (decoded by record-batch-decoder.ts) instead of becoming one object,
// two Buffer slices and several Long/string conversions per record.
import { readInt64, readTopicPartitions } from './kafka-wire.ts';
import type { AbortedTransactionRange } from './record-batch-decoder.ts';

/** The Fetch version used; brokers from Kafka 2.3 on support it. */
export const FETCH_VERSION = 11;
export const FETCH_API_KEY = 1;

export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

export interface FetchRequest {
  isolationLevel: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  topics: { topic: string; partitions: FetchPartitionRequest[] }[];
}

/** One partition of a fetch response, its records still encoded. */
export interface FetchPartitionResponse {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  abortedTransactions: AbortedTransactionRange[] | null;
  /** The record set: a view into the response bytes. */
  recordSet: Buffer;
}

/** The request body (after the request header kafkajs writes). */
export function encodeFetchRequest(request: FetchRequest): Buffer {
  let size = 4 * 4 + 1 + 4 + 4 + 4 + 4 + 2;
  const names = request.topics.map((t) => Buffer.from(t.topic, 'utf8'));
  for (let t = 0; t < request.topics.length; t++) size += 2 + names[t]!.length + 4 + request.topics[t]!.partitions.length * (4 + 4 + 8 + 8 + 4);
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  p = buf.writeInt32BE(-1, p); // replica id: a consumer
  p = buf.writeInt32BE(request.maxWaitMs, p);
  p = buf.writeInt32BE(request.minBytes, p);
  p = buf.writeInt32BE(request.maxBytes, p);
  p = buf.writeInt8(request.isolationLevel, p);
  p = buf.writeInt32BE(0, p); // session id: no fetch session
  p = buf.writeInt32BE(-1, p); // session epoch: full fetch
  p = buf.writeInt32BE(request.topics.length, p);
  for (let t = 0; t < request.topics.length; t++) {
    const name = names[t]!;
    p = buf.writeInt16BE(name.length, p);
    p += name.copy(buf, p);
    const partitions = request.topics[t]!.partitions;
    p = buf.writeInt32BE(partitions.length, p);
    for (const part of partitions) {
      p = buf.writeInt32BE(part.partition, p);
      p = buf.writeInt32BE(-1, p); // current leader epoch: unknown
      p = buf.writeBigInt64BE(BigInt(part.fetchOffset), p);
      p = buf.writeBigInt64BE(-1n, p); // log start offset (followers only)
      p = buf.writeInt32BE(part.maxBytes, p);
    }
  }
  p = buf.writeInt32BE(0, p); // forgotten topics
  buf.writeInt16BE(0, p); // rack id ''
  return buf;
}

/** Decodes a Fetch v11 response body (after the correlation id). */
export function decodeFetchResponse(payload: Buffer): { errorCode: number; partitions: FetchPartitionResponse[] } {
  let p = 4; // throttle time
  const errorCode = payload.readInt16BE(p);
  p += 2 + 4; // error code, session id
  const partitions: FetchPartitionResponse[] = [];
  readTopicPartitions(payload, p, (topic, at) => {
    let q = at;
    const partition = payload.readInt32BE(q);
    const partitionError = payload.readInt16BE(q + 4);
    const highWatermark = readInt64(payload, q + 6);
    q += 4 + 2 + 8 + 8 + 8; // partition, error, high watermark, last stable offset, log start offset
    const abortedCount = payload.readInt32BE(q);
    q += 4;
    let abortedTransactions: AbortedTransactionRange[] | null = null;
    if (abortedCount >= 0) {
      abortedTransactions = [];
      for (let a = 0; a < abortedCount; a++) {
        abortedTransactions.push({ producerId: payload.readBigInt64BE(q), firstOffset: readInt64(payload, q + 8) });
        q += 16;
      }
    }
    q += 4; // preferred read replica
    const setLength = payload.readInt32BE(q);
    q += 4;
    const recordSet = setLength > 0 ? payload.subarray(q, q + setLength) : payload.subarray(q, q);
    if (setLength > 0) q += setLength;
    partitions.push({ topic, partition, errorCode: partitionError, highWatermark, abortedTransactions, recordSet });
    return q;
  });
  return { errorCode, partitions };
}
