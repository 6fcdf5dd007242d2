// The Kafka client of the source: kafkajs's admin for metadata and offsets,
// and its cluster layer for fetching, so the source alone decides which
// partitions it reads and from which offset (no consumer group, no
// rebalances: positions live in Weir's checkpoints).
import { createRequire } from 'node:module';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { kafkajsConfig, type KafkaConnectTarget } from '../kafkajs-config.ts';
import { describeSecurityError } from '../kafka-security-options.ts';
import { decodeFetchResponse, encodeFetchRequest, FETCH_API_KEY, FETCH_VERSION, type FetchRequest } from '../wire/fetch-protocol.ts';
import type { FetchedRecords } from '../wire/fetched-records.ts';
import { sendRequest } from '../wire/kafkajs-send-request.ts';
import type { TopicPartition } from './partition-assignment.ts';
import { decodeRecordSet } from '../wire/record-batch-decoder.ts';

const require = createRequire(import.meta.url);

// kafkajs has no public fetch-by-offset API; its cluster layer (stable: kafkajs
// 2.2.4 is the last release) holds the broker connections, and the Fetch
// request itself is encoded and decoded in fetch-protocol.ts.
interface KafkajsBroker {
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
}
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<KafkajsBroker>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkajsBroker>;
}
type ClusterCtor = new (options: Record<string, unknown>) => KafkajsCluster;
type ProtocolError = Error & { type?: string; topic?: string; partition?: number };

const Cluster = require('kafkajs/src/cluster/index.js') as ClusterCtor;
const { createLogger } = require('kafkajs/src/loggers/index.js') as { createLogger(o: { level: number; logCreator: unknown }): unknown };
const socketFactory = require('kafkajs/src/network/socketFactory.js') as () => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): ProtocolError };
const { KafkaJSOffsetOutOfRange } = require('kafkajs/src/errors.js') as { KafkaJSOffsetOutOfRange: new (e: Error, where: { topic: string; partition: number }) => ProtocolError };
const OFFSET_OUT_OF_RANGE = 1;

export interface KafkaClientOptions extends KafkaConnectTarget {
  isolationLevel: 'read_committed' | 'read_uncommitted';
}

/** Where a partition's offsets stand on the broker. */
export interface PartitionOffsets extends TopicPartition {
  /** The log start offset. */
  low: number;
  /** The offset the next produced record gets (the high watermark). */
  high: number;
}

/** What one fetch gave for one partition. */
export interface FetchedBatch extends TopicPartition {
  /** Records at or after the fetch offset, control records and aborted transactions removed. */
  records: FetchedRecords;
  /** Where the next fetch of this partition starts (after the last offset seen, control records included). */
  nextOffset: number;
  highWatermark: number;
}

/** A fetch that failed for some partitions (a leader unreachable, an offset out of range). */
export interface FetchFailure {
  partitions: TopicPartition[];
  error: Error & { type?: string; topic?: string; partition?: number };
}

export class KafkaClient {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly cluster: KafkajsCluster;
  private readonly isolationLevel: number;
  private targetTopics = new Set<string>();

  private constructor(options: KafkaClientOptions) {
    const retry = { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 };
    const config = kafkajsConfig(options);
    this.kafka = new Kafka({ ...config, retry });
    this.admin = this.kafka.admin({ retry });
    this.isolationLevel = options.isolationLevel === 'read_committed' ? 1 : 0;
    this.cluster = new Cluster({
      logger: createLogger({ level: logLevel.NOTHING, logCreator: () => () => undefined }),
      socketFactory: socketFactory(),
      brokers: config.brokers,
      clientId: config.clientId,
      ssl: config.ssl,
      sasl: config.sasl,
      connectionTimeout: config.connectionTimeout,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      retry,
      metadataMaxAge: 300_000,
      allowAutoTopicCreation: false,
      maxInFlightRequests: null,
      instrumentationEmitter: null,
      isolationLevel: this.isolationLevel,
      offsets: new Map(),
    });
  }

  /** Connects to the cluster; fails with the bootstrap servers named when none answers. */
  static async connect(options: KafkaClientOptions): Promise<KafkaClient> {
    const client = new KafkaClient(options);
    try {
      await client.admin.connect();
      await client.cluster.connect();
    } catch (error) {
      await client.close();
      const explained = describeSecurityError(error, options.brokers, options.security);
      if (explained !== undefined) throw new Error(explained, { cause: error });
      throw new Error(`cannot connect to Kafka at ${options.brokers.join(',')}: ${(error as Error).message}; check the bootstrap servers and that the brokers are up`, { cause: error });
    }
    return client;
  }

  /** Every topic of the cluster. */
  listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /** The partitions of existing topics. */
  async partitionsOf(topics: string[]): Promise<TopicPartition[]> {
    if (topics.length === 0) return [];
    const { topics: meta } = await this.admin.fetchTopicMetadata({ topics });
    return meta.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId }))).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Log start and end offsets of every partition of a topic. */
  async offsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.map((o) => ({ topic, partition: o.partition, low: Number(o.low), high: Number(o.high) }));
  }

  /** Per partition, the offset of the first record with a timestamp >= `timestampMs`; the end offset when there is none. */
  async offsetsForTimestamp(topic: string, timestampMs: number): Promise<Map<number, number>> {
    const [byTime, ends] = await Promise.all([this.admin.fetchTopicOffsetsByTimestamp(topic, timestampMs), this.offsets(topic)]);
    const result = new Map<number, number>();
    for (const end of ends) {
      const found = Number(byTime.find((o) => o.partition === end.partition)?.offset ?? -1);
      result.set(end.partition, found >= 0 ? found : end.high);
    }
    return result;
  }

  /** The group's committed offsets of a topic's partitions (-1: none). */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const [entry] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  /**
   * Commits offsets for `groupId` outside any group membership (generation
   * -1), as Flink does for monitoring; the broker refuses it while the group
   * has active members.
   */
  async commit(groupId: string, offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: String(o.offset) });
      byTopic.set(o.topic, list);
    }
    const coordinator = await this.cluster.findGroupCoordinator({ groupId });
    await coordinator.offsetCommit({
      groupId,
      groupGenerationId: -1,
      memberId: '',
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }

  /** Reloads the cluster metadata (leaders, new partitions). */
  async refreshMetadata(): Promise<void> {
    await this.cluster.refreshMetadata();
  }

  /**
   * Fetches each partition from its offset, one request per leader, all
   * leaders at once. A leader that fails does not hold back the others: its
   * partitions come back as a failure.
   */
  async fetch(
    requests: readonly (TopicPartition & { fetchOffset: number })[],
    limits: { maxWaitMs: number; maxBytes: number; partitionMaxBytes: number },
  ): Promise<{ batches: FetchedBatch[]; failures: FetchFailure[] }> {
    const topics = [...new Set(requests.map((r) => r.topic))];
    if (topics.some((t) => !this.targetTopics.has(t))) {
      await this.cluster.addMultipleTargetTopics(topics);
      this.targetTopics = new Set([...this.targetTopics, ...topics]);
    }
    const byLeader = new Map<string, (TopicPartition & { fetchOffset: number })[]>();
    const leaderless: TopicPartition[] = [];
    for (const topic of topics) {
      const forTopic = requests.filter((r) => r.topic === topic);
      const leaders = this.cluster.findLeaderForPartitions(topic, forTopic.map((r) => r.partition));
      const placed = new Set<number>();
      for (const [nodeId, partitions] of Object.entries(leaders)) {
        const list = byLeader.get(nodeId) ?? [];
        for (const p of partitions) {
          list.push(forTopic.find((r) => r.partition === p)!);
          placed.add(p);
        }
        byLeader.set(nodeId, list);
      }
      for (const r of forTopic) if (!placed.has(r.partition)) leaderless.push({ topic, partition: r.partition });
    }
    const failures: FetchFailure[] = [];
    if (leaderless.length > 0) {
      failures.push({ partitions: leaderless, error: Object.assign(new Error('no leader known for these partitions yet'), { type: 'LEADER_NOT_AVAILABLE' }) });
    }
    const batches: FetchedBatch[] = [];
    await Promise.all(
      [...byLeader].map(async ([nodeId, parts]) => {
        try {
          const broker = await this.cluster.findBroker({ nodeId });
          const topicsReq = [...new Set(parts.map((p) => p.topic))].map((topic) => ({
            topic,
            partitions: parts.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: limits.partitionMaxBytes })),
          }));
          const response = await this.fetchFrom(broker, {
            isolationLevel: this.isolationLevel,
            maxWaitMs: limits.maxWaitMs,
            minBytes: 1,
            maxBytes: limits.maxBytes,
            topics: topicsReq,
          });
          if (response.errorCode !== 0) throw createErrorFromCode(response.errorCode);
          for (const data of response.partitions) {
            const request = parts.find((p) => p.topic === data.topic && p.partition === data.partition);
            if (!request) continue;
            if (data.errorCode !== 0) {
              const error = createErrorFromCode(data.errorCode);
              const where = { topic: data.topic, partition: data.partition };
              failures.push({ partitions: [where], error: data.errorCode === OFFSET_OUT_OF_RANGE ? new KafkaJSOffsetOutOfRange(error, where) : Object.assign(error, where) });
              continue;
            }
            const { records, nextOffset } = await decodeRecordSet(data.recordSet, request.fetchOffset, data.abortedTransactions);
            batches.push({ topic: data.topic, partition: data.partition, records, nextOffset, highWatermark: data.highWatermark });
          }
        } catch (error) {
          failures.push({ partitions: parts.map(({ topic, partition }) => ({ topic, partition })), error: error as FetchFailure['error'] });
        }
      }),
    );
    return { batches, failures };
  }

  private async fetchFrom(broker: KafkajsBroker, request: FetchRequest): Promise<ReturnType<typeof decodeFetchResponse>> {
    const supported = broker.versions?.[FETCH_API_KEY];
    if (supported && supported.maxVersion < FETCH_VERSION) {
      throw new Error(`the Kafka broker supports Fetch up to v${supported.maxVersion}; the Kafka source needs v${FETCH_VERSION} (Kafka 2.3 or later): upgrade the brokers`);
    }
    return sendRequest(broker, {
      apiKey: FETCH_API_KEY,
      apiVersion: FETCH_VERSION,
      apiName: 'Fetch',
      body: encodeFetchRequest(request),
      decode: decodeFetchResponse,
      // The broker holds the request up to maxWaitMs before answering.
      timeoutMs: request.maxWaitMs + 30_000,
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.admin.disconnect(), this.cluster.disconnect()]);
  }
}
