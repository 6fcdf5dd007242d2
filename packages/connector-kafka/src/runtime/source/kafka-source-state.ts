// The Kafka source's operator state: partition offsets per subtask, and which of them a restored subtask owns.
import { ownerOf, splitId, type TopicPartition } from './partition-assignment.ts';

/** A partition's position in a checkpoint: the next offset to read, and for a bounded source where it stops. */
export interface PartitionOffset extends TopicPartition {
  /** The offset of the next record to emit. */
  offset: number;
  /** Bounded mode: the offset that was latest when the job first started (exclusive). */
  stop?: number;
}

/**
 * The Kafka source's operator list state: exactly one item per subtask, with
 * every partition the subtask owns (also those it has not read from yet), so
 * a restore knows which partitions are new.
 */
export interface KafkaSourceStateItem {
  kind: 'kafka-source';
  subtask: number;
  parallelism: number;
  bounded: boolean;
  partitions: PartitionOffset[];
}

export function stateItem(subtask: number, parallelism: number, bounded: boolean, partitions: PartitionOffset[]): KafkaSourceStateItem {
  return { kind: 'kafka-source', subtask, parallelism, bounded, partitions: partitions.map((p) => ({ ...p })) };
}

/** What a subtask takes from the restored state. */
export interface RestoredOffsets {
  /** The partitions this subtask owns now, with their checkpointed positions. */
  owned: Map<string, PartitionOffset>;
  /** Whether the restored job was bounded: it then reads only the partitions in its state. */
  bounded: boolean;
}

/**
 * The positions subtask `subtaskIndex` of `parallelism` resumes from, out of
 * the restored list state. Every subtask keeps the partitions `ownerOf` gives
 * it and takes their offsets from the union of the items it received.
 *
 * At the same parallelism the round-robin hand-out of list state gives each
 * subtask its own item back, which is all it needs. At another parallelism a
 * subtask needs the items of every old subtask (union list state); when some
 * are missing it cannot know where its partitions stood and fails, rather
 * than reading them again from the start or skipping records.
 */
export function restoreOffsets(restored: readonly unknown[], subtaskIndex: number, parallelism: number): RestoredOffsets {
  const items = restored.map((item, i) => checkItem(item, i));
  const owned = new Map<string, PartitionOffset>();
  if (items.length === 0) {
    throw new Error(
      `Kafka source subtask ${subtaskIndex} received no offsets from the checkpoint: restoring the Kafka source at another parallelism needs every subtask's state (union list state); restore at the parallelism the checkpoint was taken with`,
    );
  }
  const oldParallelism = items[0]!.parallelism;
  const seen = new Set(items.map((i) => i.subtask));
  const complete = oldParallelism === parallelism ? seen.has(subtaskIndex) : seen.size === oldParallelism;
  if (!complete || items.some((i) => i.parallelism !== oldParallelism)) {
    throw new Error(
      `Kafka source subtask ${subtaskIndex} of ${parallelism} received the offsets of ${[...seen].length} of ${oldParallelism} subtasks from the checkpoint: restoring the Kafka source at another parallelism needs every subtask's state (union list state); restore at parallelism ${oldParallelism}`,
    );
  }
  for (const item of items) {
    for (const p of item.partitions) {
      if (ownerOf(p.topic, p.partition, parallelism) !== subtaskIndex) continue;
      const id = splitId(p);
      if (!owned.has(id)) owned.set(id, { ...p });
    }
  }
  return { owned, bounded: items.some((i) => i.bounded) };
}

function checkItem(item: unknown, index: number): KafkaSourceStateItem {
  const it = item as Partial<KafkaSourceStateItem> | null;
  if (!it || it.kind !== 'kafka-source' || !Array.isArray(it.partitions) || typeof it.subtask !== 'number' || typeof it.parallelism !== 'number') {
    throw new Error(`restored state item ${index} is not Kafka source state: was the savepoint taken from another source under this operator's uid?`);
  }
  return it as KafkaSourceStateItem;
}
