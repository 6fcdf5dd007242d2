// How the Kafka sink talks to Kafka, per delivery guarantee (transactional or idempotent writer).
import type { PartitionMetadata } from './record-partitioner.ts';
import type { PartitionBatch } from './record-producer.ts';

/** How the Kafka sink talks to Kafka, per delivery guarantee. */
export interface KafkaSinkWriter {
  /** Connects; a transactional writer also finishes what earlier attempts left. */
  open(): Promise<void>;
  /** The partitions of `topic`, for routing records; undefined until `loadTopics` loaded them. */
  partitionsOf(topic: string): readonly PartitionMetadata[] | undefined;
  /** Loads the metadata of `topics`. */
  loadTopics(topics: readonly string[]): Promise<void>;
  /** Sends one batch per partition (called one request at a time, in order). */
  send(batches: readonly PartitionBatch[]): Promise<void>;
  /** After every batch before the barrier was sent: the operator's list state (a transactional writer pre-commits). */
  snapshot(checkpointId: number): Promise<unknown[]>;
  /** Checkpoint `checkpointId` completed: commit what was pre-committed up to it. */
  commit(checkpointId: number): Promise<void>;
  close(): Promise<void>;
}
