// Where the Kafka source starts reading each partition: earliest, latest, by timestamp or the group's committed
// offsets, as asked of the brokers.
import type { KafkaClient } from './kafka-client.ts';
import type { StartingOffsets } from './kafka-source-config.ts';
import { splitId, type TopicPartition } from './partition-assignment.ts';

/**
 * The start offset of each partition (by split id) under `initializer`;
 * `groupId` is needed for committed offsets. Throws when the brokers
 * return no offset for a partition (the topic changed meanwhile).
 */
export async function startOffsets(client: KafkaClient, partitions: readonly TopicPartition[], initializer: StartingOffsets, groupId: string | undefined): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  for (const topic of new Set(partitions.map((p) => p.topic))) {
    const wanted = partitions.filter((p) => p.topic === topic);
    const ends = new Map((await client.offsets(topic)).map((o) => [o.partition, o]));
    let chosen: Map<number, number>;
    switch (initializer.kind) {
      case 'earliest':
        chosen = new Map([...ends].map(([p, o]) => [p, o.low]));
        break;
      case 'latest':
        chosen = new Map([...ends].map(([p, o]) => [p, o.high]));
        break;
      case 'timestamp':
        chosen = await client.offsetsForTimestamp(topic, initializer.timestampMs ?? 0);
        break;
      case 'committed': {
        const committed = await client.committedOffsets(groupId!, topic);
        chosen = new Map(
          [...ends].map(([p, o]) => {
            const c = committed.get(p) ?? -1;
            return [p, c >= 0 ? c : initializer.resetTo === 'latest' ? o.high : o.low];
          }),
        );
        break;
      }
    }
    for (const tp of wanted) {
      const offset = chosen.get(tp.partition);
      if (offset === undefined) throw new Error(`Kafka returned no offsets for partition ${splitId(tp)}: the topic changed while the source started; it will retry`);
      result.set(splitId(tp), offset);
    }
  }
  return result;
}
