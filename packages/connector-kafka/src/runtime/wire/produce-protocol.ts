// The Produce request (API key 0, versions 3 to 7: the same request body)
// carrying record batches encoded by record-batch-encoder.ts, and its
// response.
import { readInt64, readTopicPartitions } from './kafka-wire.ts';

export const PRODUCE_API_KEY = 0;
export const PRODUCE_MIN_VERSION = 3;
export const PRODUCE_MAX_VERSION = 7;

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  /** One record batch per partition (brokers refuse more than one per partition and request). */
  topics: { topic: string; partitions: { partition: number; batch: Buffer }[] }[];
}

export interface ProducePartitionResponse {
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: number;
}

/** The request body (after the request header kafkajs writes). */
export function encodeProduceRequest(request: ProduceRequest): Buffer {
  const id = request.transactionalId === null ? null : Buffer.from(request.transactionalId, 'utf8');
  const names = request.topics.map((t) => Buffer.from(t.topic, 'utf8'));
  let size = 2 + (id?.length ?? 0) + 2 + 4 + 4;
  for (let t = 0; t < request.topics.length; t++) {
    size += 2 + names[t]!.length + 4;
    for (const { batch } of request.topics[t]!.partitions) size += 4 + 4 + batch.length;
  }
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  if (id === null) {
    p = buf.writeInt16BE(-1, p);
  } else {
    p = buf.writeInt16BE(id.length, p);
    p += id.copy(buf, p);
  }
  p = buf.writeInt16BE(request.acks, p);
  p = buf.writeInt32BE(request.timeoutMs, p);
  p = buf.writeInt32BE(request.topics.length, p);
  for (let t = 0; t < request.topics.length; t++) {
    const name = names[t]!;
    p = buf.writeInt16BE(name.length, p);
    p += name.copy(buf, p);
    const partitions = request.topics[t]!.partitions;
    p = buf.writeInt32BE(partitions.length, p);
    for (const { partition, batch } of partitions) {
      p = buf.writeInt32BE(partition, p);
      p = buf.writeInt32BE(batch.length, p);
      p += batch.copy(buf, p);
    }
  }
  return buf;
}

/** Decodes a Produce response body (versions 3 to 7). */
export function decodeProduceResponse(payload: Buffer, version: number): ProducePartitionResponse[] {
  const out: ProducePartitionResponse[] = [];
  readTopicPartitions(payload, 0, (topic, at) => {
    const partition = payload.readInt32BE(at);
    const errorCode = payload.readInt16BE(at + 4);
    const baseOffset = readInt64(payload, at + 6);
    out.push({ topic, partition, errorCode, baseOffset });
    // partition, error code, base offset, log append time, and from version 5 the log start offset
    return at + 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0);
  });
  return out;
}
