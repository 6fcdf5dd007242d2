// kafkajs 2.2.4 has no public API to resume a transaction from its producer
// id and epoch (Flink's resumeTransaction), nor to read them from a producer.
// Its internals have them: a `Cluster` (one set of broker connections) and an
// `eosManager` per transactional id (InitProducerId, AddPartitionsToTxn,
// sequence numbers); record-producer.ts sends record batches through them.
// This file loads those modules, checks their shape once, and gives them
// types (the other kafkajs internals used: the Broker's send in
// kafkajs-send-request.ts, protocol errors, murmur2 and compression codecs).
// kafkajs is unmaintained since 2023, so the version range in package.json
// pins these internals in practice.
import { createRequire } from 'node:module';
import { Kafka, type KafkaConfig } from 'kafkajs';
import type { PartitionMetadata } from './record-partitioner.ts';
import { handleSendError, RecordProducer, type PartitionBatch, type ProducerCluster, type ProducerEosManager, type Retrier } from './record-producer.ts';

const require = createRequire(import.meta.url);

/** The coordinator broker of a transactional id (a kafkajs `Broker`, reduced to the requests used here). */
export interface TransactionCoordinator {
  initProducerId(request: { transactionalId: string; transactionTimeout: number }): Promise<{ producerId: string; producerEpoch: number }>;
  endTxn(request: { transactionalId: string; producerId: string; producerEpoch: number; transactionResult: boolean }): Promise<unknown>;
}

/** A kafkajs `Cluster`: the connections of one client, shared by every transaction of a subtask. */
export interface KafkaCluster extends ProducerCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findGroupCoordinator(request: { groupId: string; coordinatorType: number }): Promise<TransactionCoordinator>;
}

/** A transactional producer for one transactional id, on a shared cluster. */
export interface TransactionalProducer {
  readonly transactionalId: string;
  /** InitProducerId: fences older producers of the id and aborts their open transaction. */
  init(): Promise<{ producerId: string; producerEpoch: number }>;
  begin(): void;
  /** Sends one batch per partition in the transaction. */
  send(batches: readonly PartitionBatch[]): Promise<void>;
  producerId(): string;
  producerEpoch(): number;
}

interface EosManager extends ProducerEosManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  getProducerId(): string;
  getProducerEpoch(): number;
}

interface Logger {
  namespace(name: string): Logger;
}

type CreateEosManager = (options: { logger: Logger; cluster: KafkaCluster; transactionTimeout: number; transactional: boolean; transactionalId: string }) => EosManager;
type CreateRetry = (options: unknown) => Retrier;

/** kafkajs' `COORDINATOR_TYPES.TRANSACTION`. */
export const TRANSACTION_COORDINATOR = 1;

interface Internals {
  createEosManager: CreateEosManager;
  createRetry: CreateRetry;
}

let internals: Internals | undefined;

function loadInternals(): Internals {
  if (internals) return internals;
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (!version.startsWith('2.')) throw new Error(`kafkajs ${version} is installed`);
    const createEosManager = require('kafkajs/src/producer/eosManager/index.js') as CreateEosManager;
    const createRetry = require('kafkajs/src/retry/index.js') as CreateRetry;
    for (const [name, value] of Object.entries({ createEosManager, createRetry })) {
      if (typeof value !== 'function') throw new Error(`kafkajs internal ${name} is not a function`);
    }
    internals = { createEosManager, createRetry };
    return internals;
  } catch (error) {
    throw new Error(
      `the Kafka sink needs kafkajs 2.x internals (producer/eosManager, retry): ${(error as Error).message}; install kafkajs ^2.2.4`,
      { cause: error },
    );
  }
}

/**
 * One client's connections and what transactional producers need from them.
 * `cluster` is created by the client's own (private) factory, so it has the
 * client's brokers, SSL/SASL, timeouts, retry and logger.
 */
export interface KafkaConnection {
  readonly cluster: KafkaCluster;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** A transactional producer for `transactionalId` on this connection. */
  transactionalProducer(transactionalId: string, transactionTimeoutMs: number): TransactionalProducer;
  /** A producer outside transactions: idempotent (acks=all, after `init`) or plain (acks=1). */
  producer(idempotent: boolean): PlainProducer;
  /** The partitions of `topic`; undefined until `loadTopics` loaded it. */
  partitionsOf(topic: string): readonly PartitionMetadata[] | undefined;
  /** Loads the metadata of `topics` (the brokers create them when they auto-create topics); retries while there is none. */
  loadTopics(topics: readonly string[]): Promise<void>;
}

/** A producer without transactions on a shared cluster. */
export interface PlainProducer {
  /** InitProducerId for an idempotent producer; nothing for a plain one. */
  init(): Promise<void>;
  /** Sends one batch per partition. */
  send(batches: readonly PartitionBatch[]): Promise<void>;
}

export function openKafkaConnection(config: KafkaConfig): KafkaConnection {
  const { createEosManager, createRetry } = loadInternals();
  const kafka = new Kafka(config);
  const factorySymbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = factorySymbol ? (kafka as unknown as Record<symbol, unknown>)[factorySymbol] : undefined;
  if (typeof factory !== 'function') throw new Error('kafkajs has no private cluster factory: the exactly-once Kafka sink needs kafkajs 2.x');
  const cluster = (factory as (options: object) => KafkaCluster & { retry: unknown })({ metadataMaxAge: 300_000, allowAutoTopicCreation: true });
  const logger = (kafka.logger() as unknown as Logger).namespace('WeirKafkaSink');
  const retrier = createRetry(cluster.retry);
  const knownTopics = new Set<string>();
  return {
    cluster,
    connect: () => cluster.connect(),
    disconnect: () => cluster.disconnect(),
    transactionalProducer(transactionalId, transactionTimeoutMs) {
      const eosManager = createEosManager({ logger, cluster, transactionTimeout: transactionTimeoutMs, transactional: true, transactionalId });
      const producer = new RecordProducer({ cluster, eosManager, retrier, acks: -1 });
      return {
        transactionalId,
        async init() {
          await eosManager.initProducerId();
          return { producerId: eosManager.getProducerId(), producerEpoch: eosManager.getProducerEpoch() };
        },
        begin: () => eosManager.beginTransaction(),
        send: (batches) => producer.send(batches),
        producerId: () => String(eosManager.getProducerId()),
        producerEpoch: () => eosManager.getProducerEpoch(),
      };
    },
    producer(idempotent) {
      const eosManager = createEosManager({ logger, cluster, transactionTimeout: 60_000, transactional: false, transactionalId: '' });
      const producer = new RecordProducer({ cluster, eosManager, retrier, acks: idempotent ? -1 : 1 });
      return {
        async init() {
          if (idempotent) await eosManager.initProducerId();
        },
        send: (batches) => producer.send(batches),
      };
    },
    partitionsOf(topic) {
      if (!knownTopics.has(topic)) return undefined;
      try {
        const partitions = cluster.findTopicPartitionMetadata(topic);
        return partitions.length > 0 ? partitions : undefined;
      } catch {
        return undefined;
      }
    },
    async loadTopics(topics) {
      await retrier(async (bail) => {
        try {
          const fresh = topics.filter((t) => !knownTopics.has(t));
          if (fresh.length > 0) {
            await cluster.addMultipleTargetTopics([...new Set(fresh)]);
            for (const t of fresh) knownTopics.add(t);
          }
          await cluster.refreshMetadataIfNecessary();
          const missing = topics.filter((t) => cluster.findTopicPartitionMetadata(t).length === 0);
          if (missing.length > 0) {
            throw Object.assign(new Error(`Kafka has no partitions for topic ${missing.join(', ')}: create the topic, or let the brokers create topics (auto.create.topics.enable)`), {
              name: 'KafkaJSMetadataNotLoaded',
              retriable: true,
            });
          }
        } catch (error) {
          await handleSendError(cluster, error as Error, bail);
        }
      });
    },
  };
}
