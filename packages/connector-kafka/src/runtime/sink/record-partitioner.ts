// Chooses the partition of a record as kafkajs's DefaultPartitioner does
// (the Java client's murmur2 partitioning): an explicit partition wins; a
// key is hashed with murmur2 over all partitions; records without a key go
// round-robin over the partitions that have a leader. Unlike kafkajs, the
// partitions with a leader are worked out once per metadata snapshot, not
// once per record.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

/** A topic's partitions as the cluster metadata lists them. */
export interface PartitionMetadata {
  partitionId: number;
  leader: number;
}

interface TopicState {
  metadata: readonly PartitionMetadata[];
  available: number[];
  counter: number;
}

/** Round-robin counters per topic (starting at a random point, as kafkajs does) and cached partition lists. */
export class RecordPartitioner {
  private readonly topics = new Map<string, TopicState>();

  /** The partition of a record of `topic`, given the topic's current partition metadata. */
  partition(topic: string, metadata: readonly PartitionMetadata[], key: Buffer | string | null | undefined, explicit?: number): number {
    if (explicit !== null && explicit !== undefined) return explicit;
    let state = this.topics.get(topic);
    if (!state) {
      state = { metadata: [], available: [], counter: randomBytes(4).readUInt32BE(0) };
      this.topics.set(topic, state);
    }
    if (state.metadata !== metadata) {
      state.metadata = metadata;
      state.available = metadata.filter((p) => p.leader >= 0).map((p) => p.partitionId);
    }
    if (key !== null && key !== undefined) return (murmur2(key) & 0x7fffffff) % metadata.length;
    state.counter = (state.counter + 1) | 0;
    const i = state.counter & 0x7fffffff;
    return state.available.length > 0 ? state.available[i % state.available.length]! : i % metadata.length;
  }
}
