/** Reads a big-endian int64 that fits a double (offsets, timestamps). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

/**
 * Walks the topics array of a Kafka response from byte `at` (per topic: a
 * name, then its partitions): `partition(topic, at)` reads one partition
 * entry and returns where it ends. Returns where the array ends.
 */
export function readTopicPartitions(payload: Buffer, at: number, partition: (topic: string, at: number) => number): number {
  let p = at;
  const topicCount = payload.readInt32BE(p);
  p += 4;
  for (let t = 0; t < topicCount; t++) {
    const nameLength = payload.readInt16BE(p);
    p += 2;
    const topic = payload.toString('utf8', p, p + nameLength);
    p += nameLength;
    const partitionCount = payload.readInt32BE(p);
    p += 4;
    for (let i = 0; i < partitionCount; i++) p = partition(topic, p);
  }
  return p;
}
