// The KafkaSink builder jobs use: delivery guarantee, record serializer, transactions; it writes the sink's JSON config.
import { ValidationError } from '@weir/common';
import type { Sink } from '@weir/sdk';
import { KAFKA_CONNECTOR } from '../kafka-connector.ts';
import { parseBootstrapServers, type KafkaClientConfig } from '../kafka-client-config.ts';
import { checkKafkaSecurity, type KafkaSecurity } from '../kafka-security.ts';

/** Turns a record (or a part of it) into the bytes of a Kafka message's key or value; `null` makes a null key or a tombstone value. */
export type KafkaSerializer<T> = (value: T) => Buffer | Uint8Array | string | null;

/** Picks the topic of each record. */
export type KafkaTopicSelector<T> = (record: T) => string;

/**
 * What the sink guarantees about each record reaching Kafka:
 * - `exactly-once`: one Kafka transaction per checkpoint and subtask, flushed
 *   on the checkpoint's barrier and committed when the checkpoint completes;
 *   consumers with `isolation.level=read_committed` (kafkajs: the default)
 *   see every record once, after the checkpoint that covers it. Needs
 *   checkpointing, brokers with transactions, and a broker
 *   `transaction.max.timeout.ms` of at least the sink's transaction timeout.
 * - `at-least-once`: an idempotent producer flushed on every checkpoint;
 *   records written after the last completed checkpoint are written again
 *   after a failure.
 * - `none`: records are sent as they come and not waited for on checkpoints;
 *   a failure may lose the ones in flight.
 *
 * Without checkpointing every guarantee behaves as at-least-once over the
 * whole run (an idempotent producer, flushed at the end of the input).
 */
export type KafkaDeliveryGuarantee = 'exactly-once' | 'at-least-once' | 'none';

/** Built-in serializers. */
export const KafkaSerializers = {
  /** `JSON.stringify` of the value, as UTF-8. */
  json<T>(): KafkaSerializer<T> {
    return (value) => JSON.stringify(value);
  },
  /** The value as a string (`String(value)`), as UTF-8; null and undefined give null. */
  string<T>(): KafkaSerializer<T> {
    return (value) => (value == null ? null : String(value));
  },
} as const;

/**
 * How records become Kafka messages: the topic (fixed, or chosen per record)
 * and the serializers of the value and, optionally, the key (which also picks
 * the partition: kafkajs' default partitioner, murmur2 like the Java client).
 *
 * ```ts
 * KafkaRecordSerializer.builder<Count>()
 *   .setTopic('counts')
 *   .setKeySerializer((c) => c.key)
 *   .setValueSerializer(KafkaSerializers.json())
 *   .build()
 * ```
 */
export class KafkaRecordSerializer<T> {
  /** @internal */
  readonly topic: string | undefined;
  /** @internal */
  readonly topicSelector: KafkaTopicSelector<T> | undefined;
  /** @internal */
  readonly valueSerializer: KafkaSerializer<T>;
  /** @internal */
  readonly keySerializer: KafkaSerializer<T> | undefined;

  /** @internal */
  constructor(parts: { topic?: string; topicSelector?: KafkaTopicSelector<T>; valueSerializer: KafkaSerializer<T>; keySerializer?: KafkaSerializer<T> }) {
    this.topic = parts.topic;
    this.topicSelector = parts.topicSelector;
    this.valueSerializer = parts.valueSerializer;
    this.keySerializer = parts.keySerializer;
  }

  /** Starts a record serializer for records of type `T`. */
  static builder<T>(): KafkaRecordSerializerBuilder<T> {
    return new KafkaRecordSerializerBuilder<T>();
  }
}

/** Builds a {@link KafkaRecordSerializer}. */
export class KafkaRecordSerializerBuilder<T> {
  private topic: string | undefined;
  private topicSelector: KafkaTopicSelector<T> | undefined;
  private valueSerializer: KafkaSerializer<T> | undefined;
  private keySerializer: KafkaSerializer<T> | undefined;

  /** Every record goes to `topic`. */
  setTopic(topic: string): this {
    if (typeof topic !== 'string' || topic.length === 0) throw new ValidationError('setTopic needs a topic name');
    this.topic = topic;
    return this;
  }

  /** Each record goes to the topic `selector` returns for it. */
  setTopicSelector(selector: KafkaTopicSelector<T>): this {
    if (typeof selector !== 'function') throw new ValidationError('setTopicSelector needs a function (record) => topic');
    this.topicSelector = selector;
    return this;
  }

  /** The message value (required): `KafkaSerializers.json()`, `.string()` or your own function. */
  setValueSerializer(serializer: KafkaSerializer<T>): this {
    if (typeof serializer !== 'function') throw new ValidationError('setValueSerializer needs a function (record) => Buffer | string | null, e.g. KafkaSerializers.json()');
    this.valueSerializer = serializer;
    return this;
  }

  /** The message key (optional; without one, records are spread over the partitions). */
  setKeySerializer(serializer: KafkaSerializer<T>): this {
    if (typeof serializer !== 'function') throw new ValidationError('setKeySerializer needs a function (record) => Buffer | string | null');
    this.keySerializer = serializer;
    return this;
  }

  build(): KafkaRecordSerializer<T> {
    if (!this.valueSerializer) throw new ValidationError('KafkaRecordSerializer needs a value serializer: call setValueSerializer(KafkaSerializers.json()) or give your own function');
    if (this.topic === undefined && !this.topicSelector) throw new ValidationError('KafkaRecordSerializer needs a topic: call setTopic(name) or setTopicSelector((record) => name)');
    if (this.topic !== undefined && this.topicSelector) throw new ValidationError('KafkaRecordSerializer has both setTopic and setTopicSelector: keep one');
    return new KafkaRecordSerializer<T>({
      valueSerializer: this.valueSerializer,
      ...(this.topic !== undefined ? { topic: this.topic } : {}),
      ...(this.topicSelector ? { topicSelector: this.topicSelector } : {}),
      ...(this.keySerializer ? { keySerializer: this.keySerializer } : {}),
    });
  }
}

/**
 * Writes a stream to Kafka (Flink's KafkaSink), for `stream.sinkTo(...)`.
 *
 * ```ts
 * stream.sinkTo(
 *   KafkaSink.builder<Count>()
 *     .setBootstrapServers('localhost:9092')
 *     .setRecordSerializer(KafkaRecordSerializer.builder<Count>().setTopic('counts').setValueSerializer(KafkaSerializers.json()).build())
 *     .setDeliveryGuarantee('exactly-once')
 *     .setTransactionalIdPrefix('counts-')
 *     .build(),
 * );
 * ```
 */
export class KafkaSink {
  /** Starts a Kafka sink for records of type `T`. */
  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>();
  }
}

/** The sink's settings as they travel in the job graph (JSON). */
export interface KafkaSinkConfig extends KafkaClientConfig {
  topic: string | null;
  deliveryGuarantee: KafkaDeliveryGuarantee;
  transactionalIdPrefix: string;
  transactionTimeoutMs: number;
  maxInFlightBatches: number;
}

/** Builds a Kafka {@link Sink}. */
export class KafkaSinkBuilder<T> {
  private bootstrapServers: string[] = [];
  private serializer: KafkaRecordSerializer<T> | undefined;
  private deliveryGuarantee: KafkaDeliveryGuarantee = 'at-least-once';
  private transactionalIdPrefix = 'weir-';
  private transactionTimeoutMs = 900_000;
  private clientId: string | null = null;
  private maxInFlightBatches = 4;
  private security: KafkaSecurity | undefined;

  /** `'host:port'`, `'h1:p1,h2:p2'` or a list of them. */
  setBootstrapServers(servers: string | readonly string[]): this {
    this.bootstrapServers = parseBootstrapServers(servers, 'KafkaSink');
    return this;
  }

  /**
   * TLS and SASL (Kafka's `security.protocol`, `sasl.mechanism`, `ssl.*`): see
   * {@link KafkaSecurity}. Passwords are given by reference (`{ env }` or
   * `{ file }`) and read on the worker when it connects; the job graph holds
   * only the reference.
   */
  setSecurity(security: KafkaSecurity): this {
    this.security = checkKafkaSecurity(security, 'KafkaSink.setSecurity');
    return this;
  }

  /** Topic and serializers: see {@link KafkaRecordSerializer.builder}. */
  setRecordSerializer(serializer: KafkaRecordSerializer<T>): this {
    if (!(serializer instanceof KafkaRecordSerializer)) throw new ValidationError('setRecordSerializer needs KafkaRecordSerializer.builder<T>()...build()');
    this.serializer = serializer;
    return this;
  }

  /** `exactly-once`, `at-least-once` (default) or `none`: see {@link KafkaDeliveryGuarantee}. */
  setDeliveryGuarantee(guarantee: KafkaDeliveryGuarantee): this {
    if (!['exactly-once', 'at-least-once', 'none'].includes(guarantee)) throw new ValidationError(`setDeliveryGuarantee takes 'exactly-once', 'at-least-once' or 'none', got ${JSON.stringify(guarantee)}`);
    this.deliveryGuarantee = guarantee;
    return this;
  }

  /**
   * Exactly-once: transactional ids are `<prefix><job id>-<operator uid>-<subtask>-<n>`
   * (default prefix `weir-`). Give jobs that write to the same cluster under the
   * same job id (none, normally) different prefixes.
   */
  setTransactionalIdPrefix(prefix: string): this {
    if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 100) throw new ValidationError('setTransactionalIdPrefix needs a non-empty prefix of at most 100 characters');
    this.transactionalIdPrefix = prefix;
    return this;
  }

  /**
   * Exactly-once: how long the broker keeps a transaction open before aborting
   * it (default 15 min, the broker's default `transaction.max.timeout.ms`).
   * Recovery after a failure must finish within it, or the records of the
   * checkpoint being committed are lost.
   */
  setTransactionTimeoutMs(ms: number): this {
    if (!Number.isInteger(ms) || ms < 1000) throw new ValidationError(`setTransactionTimeoutMs needs an integer >= 1000, got ${ms}`);
    this.transactionTimeoutMs = ms;
    return this;
  }

  /** The Kafka client id (default `weir-<job id>-<operator uid>-<subtask>`). */
  setClientId(clientId: string): this {
    this.clientId = clientId;
    return this;
  }

  /** How many full record batches (up to ~1 MB each) each subtask may have waiting to be sent before it waits (default 4). */
  setMaxInFlightBatches(n: number): this {
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new ValidationError(`setMaxInFlightBatches needs an integer in 1..64, got ${n}`);
    this.maxInFlightBatches = n;
    return this;
  }

  build(): Sink<T> {
    if (this.bootstrapServers.length === 0) throw new ValidationError("KafkaSink needs brokers: call setBootstrapServers('host:port')");
    if (!this.serializer) throw new ValidationError('KafkaSink needs a record serializer: call setRecordSerializer(KafkaRecordSerializer.builder<T>()...build())');
    const config: KafkaSinkConfig = {
      bootstrapServers: this.bootstrapServers,
      topic: this.serializer.topic ?? null,
      deliveryGuarantee: this.deliveryGuarantee,
      transactionalIdPrefix: this.transactionalIdPrefix,
      transactionTimeoutMs: this.transactionTimeoutMs,
      clientId: this.clientId,
      maxInFlightBatches: this.maxInFlightBatches,
      ...(this.security ? { security: this.security } : {}),
    };
    const functions: Record<string, unknown> = { valueSerializer: this.serializer.valueSerializer };
    if (this.serializer.keySerializer) functions.keySerializer = this.serializer.keySerializer;
    if (this.serializer.topicSelector) functions.topicSelector = this.serializer.topicSelector;
    return { connector: { ...KAFKA_CONNECTOR }, name: 'KafkaSink', config: { ...config }, functions };
  }
}
