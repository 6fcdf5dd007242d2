// Sends record batches to Kafka the way kafkajs's producer sends messages
// (its producer/sendMessages.js: leaders from the cluster metadata, one
// request per leader, sequence numbers and AddPartitionsToTxn from its
// eosManager, retries), but the batches arrive encoded
// (RecordBatchBuilder): one buffer per partition instead of several encoder
// objects per record. Partitions the broker acknowledged are not sent again
// when another one needs a retry.
import { createRequire } from 'node:module';
import { sendRequest } from '../wire/kafkajs-send-request.ts';
import { decodeProduceResponse, encodeProduceRequest, PRODUCE_API_KEY, PRODUCE_MAX_VERSION, PRODUCE_MIN_VERSION, type ProduceRequest } from '../wire/produce-protocol.ts';
import type { RecordBatchBuilder } from '../wire/record-batch-encoder.ts';

/** A kafkajs Broker, reduced to what producing needs. */
export interface ProducerBroker {
  nodeId: number;
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
}

/** A kafkajs Cluster, reduced to what producing needs. */
export interface ProducerCluster {
  isConnected(): boolean;
  connect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<ProducerBroker>;
  removeBroker(args: { host: string; port: number }): void;
}

/** A kafkajs eosManager: producer id, epoch, sequences, per-broker locks and the partitions in the transaction. */
export interface ProducerEosManager {
  isInitialized(): boolean;
  isTransactional(): boolean;
  getTransactionalId(): string;
  getProducerId(): string | number;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  acquireBrokerLock(broker: ProducerBroker): Promise<void>;
  releaseBrokerLock(broker: ProducerBroker): void;
  addPartitionsToTransaction(topicData: { topic: string; partitions: { partition: number }[] }[]): Promise<void>;
}

export type Retrier = <T>(fn: (bail: (error: Error) => void, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;

interface KafkaError extends Error {
  retriable?: boolean;
  type?: string;
  host?: string;
  port?: number;
}

const require = createRequire(import.meta.url);
const { createErrorFromCode, staleMetadata } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): KafkaError;
  staleMetadata(error: Error): boolean;
};

/**
 * Most bytes of one record batch: it must stay under the broker's
 * message.max.bytes (1 MiB by default, batch header included).
 */
export const MAX_BATCH_BYTES = 960 * 1024;

export interface RecordProducerOptions {
  cluster: ProducerCluster;
  eosManager: ProducerEosManager;
  retrier: Retrier;
  acks: number;
  timeoutMs?: number;
}

/** The records of one partition for one Produce request. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: RecordBatchBuilder;
}

interface PendingBatch extends PartitionBatch {
  done: boolean;
}

/** Sends record batches through kafkajs's connections and eosManager. */
export class RecordProducer {
  private readonly options: RecordProducerOptions;

  constructor(options: RecordProducerOptions) {
    this.options = options;
  }

  /** Sends one batch per partition and resolves when the broker acknowledged all of them (per `acks`). */
  async send(batches: readonly PartitionBatch[]): Promise<void> {
    const pending: PendingBatch[] = batches.map((b) => ({ ...b, done: false }));
    await this.options.retrier(async (bail) => {
      try {
        await this.sendRound(pending.filter((b) => !b.done));
      } catch (error) {
        await handleSendError(this.options.cluster, error as KafkaError, bail);
      }
    });
  }

  /** Sends the batches not acknowledged yet, one request per leader, all leaders at once. */
  private async sendRound(pending: PendingBatch[]): Promise<void> {
    const { cluster } = this.options;
    await cluster.refreshMetadataIfNecessary();
    const byLeader = new Map<string, PendingBatch[]>();
    for (const topic of new Set(pending.map((p) => p.topic))) {
      const forTopic = pending.filter((p) => p.topic === topic);
      const leaders = cluster.findLeaderForPartitions(topic, forTopic.map((p) => p.partition));
      const placed = new Set<number>();
      for (const [nodeId, partitions] of Object.entries(leaders)) {
        const list = byLeader.get(nodeId) ?? [];
        for (const partition of partitions) {
          list.push(forTopic.find((p) => p.partition === partition)!);
          placed.add(partition);
        }
        byLeader.set(nodeId, list);
      }
      if (forTopic.some((p) => !placed.has(p.partition))) {
        throw Object.assign(new Error(`no leader known for some partitions of Kafka topic ${topic}`), { name: 'KafkaJSMetadataNotLoaded', retriable: true });
      }
    }
    const results = await Promise.allSettled([...byLeader].map(([nodeId, parts]) => this.sendTo(nodeId, parts)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async sendTo(nodeId: string, parts: PendingBatch[]): Promise<void> {
    const { cluster, eosManager, acks } = this.options;
    const broker = await cluster.findBroker({ nodeId });
    const supported = broker.versions?.[PRODUCE_API_KEY];
    const version = Math.min(PRODUCE_MAX_VERSION, supported?.maxVersion ?? PRODUCE_MAX_VERSION);
    if (version < PRODUCE_MIN_VERSION) throw new Error(`the Kafka broker supports Produce up to v${version}; the Kafka sink needs v${PRODUCE_MIN_VERSION} (Kafka 0.11 or later): upgrade the brokers`);
    await eosManager.acquireBrokerLock(broker);
    try {
      const transactional = eosManager.isTransactional();
      if (transactional) {
        const topicData = [...new Set(parts.map((p) => p.topic))].map((topic) => ({ topic, partitions: parts.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition })) }));
        await eosManager.addPartitionsToTransaction(topicData);
      }
      const idempotent = eosManager.isInitialized();
      const producerId = idempotent ? BigInt(eosManager.getProducerId()) : -1n;
      const producerEpoch = idempotent ? eosManager.getProducerEpoch() : -1;
      const request: ProduceRequest = { transactionalId: transactional ? eosManager.getTransactionalId() : null, acks, timeoutMs: this.options.timeoutMs ?? 30_000, topics: [] };
      const sequenced: { part: PendingBatch; count: number }[] = [];
      for (const part of parts) {
        const count = part.records.recordCount;
        const baseSequence = idempotent ? eosManager.getSequence(part.topic, part.partition) : -1;
        // A view of the builder's buffer: copied into the request below, before anything else can append.
        const batch = part.records.build({ producerId, producerEpoch, baseSequence, transactional });
        eosManager.updateSequence(part.topic, part.partition, count);
        sequenced.push({ part, count });
        let topic = request.topics.find((t) => t.topic === part.topic);
        if (!topic) {
          topic = { topic: part.topic, partitions: [] };
          request.topics.push(topic);
        }
        topic.partitions.push({ partition: part.partition, batch });
      }
      let responses;
      try {
        responses = await sendRequest(broker, {
          apiKey: PRODUCE_API_KEY,
          apiVersion: version,
          apiName: 'Produce',
          body: encodeProduceRequest(request),
          decode: (payload) => decodeProduceResponse(payload, version),
          expectResponse: acks !== 0,
        });
      } catch (error) {
        for (const { part, count } of sequenced) eosManager.updateSequence(part.topic, part.partition, -count);
        throw error;
      }
      // Partitions the broker took are done; a failed one gets its sequence back and is sent again.
      let failure: number | undefined;
      for (const { part, count } of sequenced) {
        const response = responses?.find((r) => r.topic === part.topic && r.partition === part.partition);
        const code = response ? response.errorCode : acks === 0 ? 0 : -1;
        if (code === 0) {
          part.done = true;
        } else {
          eosManager.updateSequence(part.topic, part.partition, -count);
          failure ??= code;
        }
      }
      if (failure !== undefined) throw createErrorFromCode(failure);
    } finally {
      eosManager.releaseBrokerLock(broker);
    }
  }
}

/**
 * kafkajs's sendMessages error handling, for a retrier: refreshes what a
 * retry needs (connection, metadata) and throws to retry, or bails out on
 * errors not worth retrying.
 */
export async function handleSendError(cluster: ProducerCluster, error: KafkaError, bail: (error: Error) => void): Promise<never> {
  if (error.name === 'KafkaJSConnectionClosedError' && error.host !== undefined && error.port !== undefined) cluster.removeBroker({ host: error.host, port: error.port });
  if (!cluster.isConnected()) {
    await cluster.connect();
    await cluster.refreshMetadata();
    throw error;
  }
  if (
    staleMetadata(error) ||
    error.name === 'KafkaJSMetadataNotLoaded' ||
    error.name === 'KafkaJSConnectionError' ||
    error.name === 'KafkaJSConnectionClosedError' ||
    (error.name === 'KafkaJSProtocolError' && error.retriable)
  ) {
    await cluster.refreshMetadata();
    throw error;
  }
  if (error.retriable) throw error;
  bail(error);
  throw error;
}
