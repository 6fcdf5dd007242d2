/** A Kafka partition: the unit a source subtask reads (a split). */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The split id of a partition, as `weir status` shows it: `orders-3`. */
export function splitId(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** Java's String.hashCode (UTF-16 code units), so assignment matches Flink's. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/**
 * The source subtask that reads `partition` of `topic` at `parallelism`, as
 * Flink's KafkaSourceEnumerator assigns it: the topic's partitions start at a
 * subtask chosen by the topic's hash and go round-robin from there. It depends
 * only on the topic, the partition and the parallelism, so every subtask
 * computes the same owner without talking to the others, the assignment is
 * the same after a restart, and a partition found later is read by exactly
 * one subtask.
 */
export function ownerOf(topic: string, partition: number, parallelism: number): number {
  const start = ((Math.imul(javaStringHash(topic), 31) & 0x7fffffff) >>> 0) % parallelism;
  return (start + partition) % parallelism;
}

/** The partitions among `all` that subtask `subtaskIndex` of `parallelism` reads. */
export function ownedPartitions(all: readonly TopicPartition[], subtaskIndex: number, parallelism: number): TopicPartition[] {
  return all.filter((tp) => ownerOf(tp.topic, tp.partition, parallelism) === subtaskIndex);
}

/** How the source names its topics: a list, or a pattern matched against every topic (Kafka's internal `__` topics excluded). */
export type TopicSelection = { topics: readonly string[] } | { pattern: RegExp };

/** The topics of `available` that the selection names; with a list, in the list's order. */
export function selectTopics(selection: TopicSelection, available: readonly string[]): string[] {
  if ('topics' in selection) return selection.topics.filter((t) => available.includes(t));
  return available.filter((t) => !t.startsWith('__') && wholeMatch(selection.pattern, t)).sort();
}

/** Topics of a list that do not exist. */
export function missingTopics(selection: TopicSelection, available: readonly string[]): string[] {
  if (!('topics' in selection)) return [];
  const known = new Set(available);
  return selection.topics.filter((t) => !known.has(t));
}

/** Like Java's Pattern.matcher(topic).matches(): the whole name must match. */
function wholeMatch(pattern: RegExp, text: string): boolean {
  const anchored = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
  return anchored.test(text);
}
