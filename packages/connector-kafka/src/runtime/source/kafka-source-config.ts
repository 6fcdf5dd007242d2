// The Kafka source's settings as the worker reads them from the descriptor.
import { parseBootstrapServers, type KafkaClientConfig } from '../../kafka-client-config.ts';
import { checkKafkaSecurity } from '../../kafka-security.ts';
import type { TopicSelection } from './partition-assignment.ts';

/** How a key or value is turned into a JavaScript value. */
export type DeserializerKind = 'json' | 'string' | 'bytes' | 'function' | 'none';

/** Where a partition starts when the checkpoint has no offset for it. */
export interface StartingOffsets {
  kind: 'earliest' | 'latest' | 'timestamp' | 'committed';
  /** For `timestamp`: the first record with a timestamp >= this (ms). */
  timestampMs?: number;
  /** For `committed`: where a partition without a committed offset starts. */
  resetTo?: 'earliest' | 'latest';
}

/**
 * The Kafka source's operator config, as `KafkaSource.builder()` writes it
 * (the connector's `api/kafka-source.ts`): JSON only.
 */
export interface KafkaSourceConfig extends KafkaClientConfig {
  topics?: string[];
  topicPattern?: { source: string; flags: string };
  groupId?: string;
  startingOffsets: StartingOffsets;
  /** Stop at the offsets that were latest when the job first started. */
  bounded: boolean;
  key: DeserializerKind;
  value: DeserializerKind;
  /** What is emitted: the value, a `KafkaRecord` with metadata, or what the user's record deserializer returns. */
  output: 'value' | 'record' | 'function';
  partitionDiscoveryIntervalMs: number;
  isolationLevel: 'read_committed' | 'read_uncommitted';
  /** Upper bound on one fetch response, and on each partition's share of it. */
  fetchMaxBytes: number;
  partitionFetchMaxBytes: number;
  /** Longest the broker holds a fetch when there is nothing new (ms). */
  fetchMaxWaitMs: number;
  /** Fetched records held before fetching pauses (the source's read-ahead buffer). */
  maxBufferedRecords: number;
}

const DEFAULTS = {
  partitionDiscoveryIntervalMs: 10_000,
  isolationLevel: 'read_committed',
  fetchMaxBytes: 8 * 1024 * 1024,
  partitionFetchMaxBytes: 2 * 1024 * 1024,
  fetchMaxWaitMs: 200,
  maxBufferedRecords: 50_000,
} as const;

/** Reads and checks the descriptor's config; errors say which builder call is missing. */
export function parseKafkaSourceConfig(raw: Record<string, unknown>): KafkaSourceConfig {
  const c = raw as Partial<KafkaSourceConfig>;
  const bootstrapServers = parseBootstrapServers(c.bootstrapServers, 'the Kafka source');
  if (!c.topics?.length && !c.topicPattern) throw new Error('the Kafka source names no topics: call setTopics(...) or setTopicPattern(...)');
  return {
    ...DEFAULTS,
    key: 'none',
    value: 'string',
    output: 'value',
    bounded: false,
    startingOffsets: { kind: 'earliest' },
    ...c,
    bootstrapServers,
    ...(c.security !== undefined && c.security !== null ? { security: checkKafkaSecurity(c.security, 'the Kafka source') } : {}),
  } as KafkaSourceConfig;
}

export function topicSelection(config: KafkaSourceConfig): TopicSelection {
  if (config.topicPattern) return { pattern: new RegExp(config.topicPattern.source, config.topicPattern.flags) };
  return { topics: config.topics ?? [] };
}
