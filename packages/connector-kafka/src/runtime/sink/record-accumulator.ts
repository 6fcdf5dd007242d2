// The sink's records waiting to be sent, encoded as they arrive into one
// record batch per partition (as the Java producer's RecordAccumulator): a
// batch that reaches MAX_BATCH_BYTES is closed and queued, and the next
// request takes, per partition, its oldest closed batch or else its open
// one. Records of a topic whose partitions are not known yet wait as they
// are until the sender has loaded the topic's metadata.
import { RecordBatchBuilder, type RecordBytes, type RecordHeaders } from '../wire/record-batch-encoder.ts';
import { RecordPartitioner, type PartitionMetadata } from './record-partitioner.ts';
import { MAX_BATCH_BYTES, type PartitionBatch } from './record-producer.ts';

/** A record as the sink's serializers made it. */
export interface SinkMessage {
  key?: RecordBytes;
  value: RecordBytes;
  partition?: number;
  headers?: RecordHeaders;
  timestamp?: string | number;
}

/** Where the partitions of a topic come from (the producer's metadata). */
export type PartitionsOf = (topic: string) => readonly PartitionMetadata[] | undefined;

interface OpenBatch extends PartitionBatch {
  key: string;
}

/** Room for the record's bytes plus its length, deltas and header counts. */
function roughSize(m: SinkMessage): number {
  const size = (b: RecordBytes): number => (b === null || b === undefined ? 0 : typeof b === 'string' ? b.length * 3 : b.length);
  let headers = 0;
  if (m.headers) for (const [name, v] of Object.entries(m.headers)) headers += name.length * 3 + 10 + (Array.isArray(v) ? v.reduce((s, x) => s + size(x) + name.length * 3 + 10, 0) : size(v));
  return 32 + size(m.key) + size(m.value) + headers;
}

export class RecordAccumulator {
  private readonly partitioner = new RecordPartitioner();
  private readonly partitionsOf: PartitionsOf;
  /** Open batches by topic, indexed by partition. */
  private readonly open = new Map<string, (OpenBatch | undefined)[]>();
  private readonly closed: OpenBatch[] = [];
  private readonly unrouted = new Map<string, SinkMessage[]>();
  /** Partition metadata per topic, looked up again after every send (`forgetMetadata`). */
  private metadata = new Map<string, readonly PartitionMetadata[]>();
  private closedBytes = 0;
  private unroutedCount = 0;
  private bytes = 0;
  private count = 0;
  private oldest = 0;

  constructor(partitionsOf: PartitionsOf) {
    this.partitionsOf = partitionsOf;
  }

  /** Records held, in batches or waiting for metadata. */
  get size(): number {
    return this.count;
  }

  /** Bytes of closed batches waiting for a request. */
  get waitingBytes(): number {
    return this.closedBytes;
  }

  /** Bytes of all batches (open and closed), not counting records waiting for metadata. */
  get batchedBytes(): number {
    return this.bytes;
  }

  /** When the oldest record held was appended (the `now` given to `append`). */
  get oldestAppend(): number {
    return this.oldest;
  }

  /** Topics whose records wait for metadata. */
  get unroutedTopics(): string[] {
    return [...this.unrouted.keys()];
  }

  /** Records waiting for their topic's metadata. */
  get unroutedRecords(): number {
    return this.unroutedCount;
  }

  append(topic: string, message: SinkMessage, now: number): void {
    if (this.count++ === 0) this.oldest = now;
    const waiting = this.unrouted.get(topic);
    if (waiting) {
      waiting.push(message);
      this.unroutedCount++;
      return;
    }
    let partitions = this.metadata.get(topic);
    if (!partitions) {
      partitions = this.partitionsOf(topic);
      if (!partitions) {
        this.unrouted.set(topic, [message]);
        this.unroutedCount++;
        return;
      }
      this.metadata.set(topic, partitions);
    }
    this.place(topic, partitions, message, now);
  }

  /** Routes the records that waited for `topic`'s metadata; false when there is still none. */
  route(topic: string, now: number): boolean {
    const waiting = this.unrouted.get(topic);
    if (!waiting) return true;
    const partitions = this.partitionsOf(topic);
    if (!partitions) return false;
    this.metadata.set(topic, partitions);
    this.unrouted.delete(topic);
    this.unroutedCount -= waiting.length;
    for (const message of waiting) this.place(topic, partitions, message, now);
    return true;
  }

  /** Metadata may have changed (a send refreshed it): look it up again. */
  forgetMetadata(): void {
    this.metadata = new Map();
  }

  /** Takes what the next request carries: per partition, its oldest closed batch, or else its open batch. */
  drain(): PartitionBatch[] {
    const taken: PartitionBatch[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < this.closed.length; ) {
      const batch = this.closed[i]!;
      if (seen.has(batch.key)) {
        i++;
        continue;
      }
      seen.add(batch.key);
      this.closed.splice(i, 1);
      this.closedBytes -= batch.records.sizeBytes;
      taken.push(batch);
    }
    for (const byPartition of this.open.values()) {
      for (let p = 0; p < byPartition.length; p++) {
        const batch = byPartition[p];
        if (!batch || seen.has(batch.key)) continue;
        byPartition[p] = undefined;
        taken.push(batch);
      }
    }
    for (const batch of taken) {
      this.count -= batch.records.recordCount;
      this.bytes -= batch.records.sizeBytes;
    }
    return taken;
  }

  private place(topic: string, partitions: readonly PartitionMetadata[], message: SinkMessage, now: number): void {
    const partition = this.partitioner.partition(topic, partitions, message.key, message.partition);
    let byPartition = this.open.get(topic);
    if (!byPartition) {
      byPartition = [];
      this.open.set(topic, byPartition);
    }
    let batch = byPartition[partition];
    if (batch && batch.records.sizeBytes + roughSize(message) > MAX_BATCH_BYTES) {
      byPartition[partition] = undefined;
      this.closed.push(batch);
      this.closedBytes += batch.records.sizeBytes;
      batch = undefined;
    }
    if (!batch) {
      batch = { key: `${partition}:${topic}`, topic, partition, records: new RecordBatchBuilder() };
      byPartition[partition] = batch;
      this.bytes += batch.records.sizeBytes;
    }
    const timestamp = message.timestamp === undefined || message.timestamp === null ? now : Number(message.timestamp);
    const before = batch.records.sizeBytes;
    batch.records.append(message.key, message.value, timestamp, message.headers);
    this.bytes += batch.records.sizeBytes - before;
  }
}
