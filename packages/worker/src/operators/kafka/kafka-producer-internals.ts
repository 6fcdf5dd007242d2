// kafkajs 2.2.4 has no public API to resume a transaction from its producer
// id and epoch (Flink's resumeTransaction), nor to read them from a producer.
// Its internals have them: a `Cluster` (one set of broker connections), an
// `eosManager` per transactional id (InitProducerId, AddPartitionsToTxn,
// sequence numbers) and a `messageProducer` that sends through it. This file
// is the only place that reaches into kafkajs: it loads those modules, checks
// their shape once, and gives them types. kafkajs is unmaintained since 2023,
// so the version range in package.json pins these internals in practice.
import { createRequire } from 'node:module';
import { Kafka, Partitioners, type KafkaConfig, type Message } from 'kafkajs';

const require = createRequire(import.meta.url);

/** The coordinator broker of a transactional id (a kafkajs `Broker`, reduced to the requests used here). */
export interface TransactionCoordinator {
  initProducerId(request: { transactionalId: string; transactionTimeout: number }): Promise<{ producerId: string; producerEpoch: number }>;
  endTxn(request: { transactionalId: string; producerId: string; producerEpoch: number; transactionResult: boolean }): Promise<unknown>;
}

/** A kafkajs `Cluster`: the connections of one client, shared by every transaction of a subtask. */
export interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findGroupCoordinator(request: { groupId: string; coordinatorType: number }): Promise<TransactionCoordinator>;
}

/** Messages for one topic, as kafkajs `sendBatch` takes them. */
export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** A transactional producer for one transactional id, on a shared cluster. */
export interface TransactionalProducer {
  readonly transactionalId: string;
  /** InitProducerId: fences older producers of the id and aborts their open transaction. */
  init(): Promise<{ producerId: string; producerEpoch: number }>;
  begin(): void;
  sendBatch(topicMessages: TopicMessages[]): Promise<unknown>;
  producerId(): string;
  producerEpoch(): number;
}

interface EosManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  getProducerId(): string;
  getProducerEpoch(): number;
}

interface Logger {
  namespace(name: string): Logger;
}

type CreateEosManager = (options: { logger: Logger; cluster: KafkaCluster; transactionTimeout: number; transactional: boolean; transactionalId: string }) => EosManager;
type CreateMessageProducer = (options: {
  logger: Logger;
  cluster: KafkaCluster;
  partitioner: unknown;
  eosManager: EosManager;
  idempotent: boolean;
  retrier: unknown;
  getConnectionStatus: () => string;
}) => { sendBatch(request: { acks?: number; topicMessages: TopicMessages[] }): Promise<unknown> };
type CreateRetry = (options: unknown) => unknown;

/** kafkajs' `COORDINATOR_TYPES.TRANSACTION`. */
export const TRANSACTION_COORDINATOR = 1;

interface Internals {
  createEosManager: CreateEosManager;
  createMessageProducer: CreateMessageProducer;
  createRetry: CreateRetry;
  connected: string;
}

let internals: Internals | undefined;

function loadInternals(): Internals {
  if (internals) return internals;
  try {
    const version = (require('kafkajs/package.json') as { version: string }).version;
    if (!version.startsWith('2.')) throw new Error(`kafkajs ${version} is installed`);
    const createEosManager = require('kafkajs/src/producer/eosManager/index.js') as CreateEosManager;
    const createMessageProducer = require('kafkajs/src/producer/messageProducer.js') as CreateMessageProducer;
    const createRetry = require('kafkajs/src/retry/index.js') as CreateRetry;
    const { CONNECTION_STATUS } = require('kafkajs/src/network/connectionStatus.js') as { CONNECTION_STATUS: { CONNECTED: string } };
    for (const [name, value] of Object.entries({ createEosManager, createMessageProducer, createRetry })) {
      if (typeof value !== 'function') throw new Error(`kafkajs internal ${name} is not a function`);
    }
    internals = { createEosManager, createMessageProducer, createRetry, connected: CONNECTION_STATUS.CONNECTED };
    return internals;
  } catch (error) {
    throw new Error(
      `the exactly-once Kafka sink needs kafkajs 2.x internals (producer/eosManager, producer/messageProducer): ${(error as Error).message}; install kafkajs ^2.2.4 or use setDeliveryGuarantee('at-least-once')`,
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
}

export function openKafkaConnection(config: KafkaConfig): KafkaConnection {
  const { createEosManager, createMessageProducer, createRetry, connected } = loadInternals();
  const kafka = new Kafka(config);
  const factorySymbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = factorySymbol ? (kafka as unknown as Record<symbol, unknown>)[factorySymbol] : undefined;
  if (typeof factory !== 'function') throw new Error('kafkajs has no private cluster factory: the exactly-once Kafka sink needs kafkajs 2.x');
  const cluster = (factory as (options: object) => KafkaCluster & { retry: unknown })({ metadataMaxAge: 300_000, allowAutoTopicCreation: true });
  const logger = (kafka.logger() as unknown as Logger).namespace('WeirKafkaSink');
  const retrier = createRetry(cluster.retry);
  const partitioner = Partitioners.DefaultPartitioner();
  return {
    cluster,
    connect: () => cluster.connect(),
    disconnect: () => cluster.disconnect(),
    transactionalProducer(transactionalId, transactionTimeoutMs) {
      const eosManager = createEosManager({ logger, cluster, transactionTimeout: transactionTimeoutMs, transactional: true, transactionalId });
      const producer = createMessageProducer({ logger, cluster, partitioner, eosManager, idempotent: true, retrier, getConnectionStatus: () => connected });
      return {
        transactionalId,
        async init() {
          await eosManager.initProducerId();
          return { producerId: eosManager.getProducerId(), producerEpoch: eosManager.getProducerEpoch() };
        },
        begin: () => eosManager.beginTransaction(),
        sendBatch: (topicMessages) => producer.sendBatch({ acks: -1, topicMessages }),
        producerId: () => eosManager.getProducerId(),
        producerEpoch: () => eosManager.getProducerEpoch(),
      };
    },
  };
}
