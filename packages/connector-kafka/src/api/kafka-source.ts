// The KafkaSource builder jobs use: topics, starting offsets, deserializers, properties; it writes the source's JSON config.
import { resolve } from 'node:path';
import { ValidationError } from '@weir/common';
import type { Source } from '@weir/sdk';
import { KAFKA_CONNECTOR } from '../kafka-connector.ts';
import { parseBootstrapServers } from '../kafka-client-config.ts';
import { checkKafkaSecurity, type KafkaSecurity } from '../kafka-security.ts';

/** Where a record came from, given to user deserializers and carried by {@link KafkaRecord}. */
export interface KafkaRecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  /** The record's Kafka timestamp (ms); also its event time unless a timestamp assigner says otherwise. */
  timestamp: number;
  /** Header values as UTF-8 text (a list when a header repeats). */
  headers: Record<string, string | string[]>;
}

/** A record with its deserialized key and value, emitted by a source built with `includeRecordMetadata()`. */
export interface KafkaRecord<K, V> extends KafkaRecordMetadata {
  key: K;
  value: V;
}

/** A record as fetched: key and value are the raw bytes (null when absent). */
export type KafkaRawRecord = KafkaRecord<Buffer | null, Buffer | null>;

/** A built-in deserializer (applied by the worker, no user code involved). */
export interface KafkaBuiltinDeserializer<T> {
  readonly kind: 'json' | 'string' | 'bytes';
  /** @internal type marker */
  readonly __type?: T;
}

/**
 * Turns a key's or value's bytes into a value: a built-in from
 * {@link KafkaDeserializers}, or your function of the bytes (null for a
 * missing key or a tombstone) and the record's metadata. A function that
 * throws sends the record to the dead letters.
 */
export type KafkaDeserializer<T> = KafkaBuiltinDeserializer<T> | ((bytes: Buffer | null, metadata: KafkaRecordMetadata) => T);

/** Built-in deserializers. A record they cannot decode goes to the dead letters with the reason, topic, partition and offset. */
export const KafkaDeserializers = {
  /** `JSON.parse` of the UTF-8 bytes; invalid JSON is a dead letter. */
  json<T = unknown>(): KafkaBuiltinDeserializer<T> {
    return { kind: 'json' };
  },
  /** The bytes as UTF-8 text. */
  string(): KafkaBuiltinDeserializer<string> {
    return { kind: 'string' };
  },
  /** The bytes as they are (a Buffer). */
  bytes(): KafkaBuiltinDeserializer<Buffer> {
    return { kind: 'bytes' };
  },
} as const;

/** Where a partition starts reading when the job starts without a checkpoint. */
export interface OffsetsInitializerSpec {
  readonly kind: 'earliest' | 'latest' | 'timestamp' | 'committed';
  readonly timestampMs?: number;
  readonly resetTo?: 'earliest' | 'latest';
}

/**
 * Starting offsets (Flink's OffsetsInitializer). They apply to a fresh
 * start only: a job restored from a checkpoint or savepoint continues from
 * its offsets, and partitions found later start at their earliest offset.
 */
export const OffsetsInitializer = {
  /** The oldest record each partition still has (the default). */
  earliest(): OffsetsInitializerSpec {
    return { kind: 'earliest' };
  },
  /** Only records produced after the job started. */
  latest(): OffsetsInitializerSpec {
    return { kind: 'latest' };
  },
  /** The first record with a timestamp >= `timestampMs` (the end of the partition when there is none). */
  timestamp(timestampMs: number): OffsetsInitializerSpec {
    if (!Number.isFinite(timestampMs) || timestampMs < 0) throw new ValidationError(`OffsetsInitializer.timestamp needs a time in ms >= 0, got ${timestampMs}`);
    return { kind: 'timestamp', timestampMs };
  },
  /** The offsets committed for the source's group id; partitions without one start at `resetTo`. Needs `setGroupId`. */
  committedOffsets(resetTo: 'earliest' | 'latest' = 'earliest'): OffsetsInitializerSpec {
    return { kind: 'committed', resetTo };
  },
} as const;

/** Settings for `setProperty`, with their defaults. */
export interface KafkaSourceProperties {
  /** How often new partitions and (with a pattern) new topics are looked for; 0: never. Default 10000. */
  partitionDiscoveryIntervalMs: number;
  /** The Kafka client id; default `weir-<job>-<operator>-<subtask>`. */
  clientId: string;
  /** Default `read_committed`: records of aborted or open transactions are not read. */
  isolationLevel: 'read_committed' | 'read_uncommitted';
  /** Upper bound of one fetch response (bytes). Default 8 MiB. */
  fetchMaxBytes: number;
  /** Upper bound of one partition's share of a fetch (bytes). Default 2 MiB. */
  partitionFetchMaxBytes: number;
  /** Longest the broker holds a fetch when there is nothing new (ms). Default 200. */
  fetchMaxWaitMs: number;
  /** Records fetched ahead per subtask before fetching pauses. Default 50000. */
  maxBufferedRecords: number;
}

const NUMERIC_PROPERTIES = ['partitionDiscoveryIntervalMs', 'fetchMaxBytes', 'partitionFetchMaxBytes', 'fetchMaxWaitMs', 'maxBufferedRecords'] as const;

/**
 * Reads Kafka topics (Flink's KafkaSource): every partition is read by one
 * source subtask, its offsets are part of each checkpoint (so a restore
 * continues exactly where the checkpoint was), and records that fail to
 * deserialize go to the dead letters. Hand it to `env.fromSource`:
 *
 * ```ts
 * const source = KafkaSource.builder<Order>()
 *   .setBootstrapServers('localhost:9092')
 *   .setTopics('orders')
 *   .setGroupId('order-stats')
 *   .setStartingOffsets(OffsetsInitializer.earliest())
 *   .setValueDeserializer(KafkaDeserializers.json<Order>())
 *   .build();
 * env.fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness<Order>(5_000).withIdleness(30_000), 'Orders');
 * ```
 */
export class KafkaSource {
  private constructor() {}

  /** Starts a source of records of type `T` (the value, or what `setRecordDeserializer` returns). */
  static builder<T>(): KafkaSourceBuilder<T> {
    return new KafkaSourceBuilder<T>();
  }
}

/** Builds a Kafka {@link Source}; see {@link KafkaSource}. */
export class KafkaSourceBuilder<T> {
  private bootstrapServers: string[] = [];
  private topics: string[] | undefined;
  private topicPattern: RegExp | undefined;
  private groupId: string | undefined;
  private startingOffsets: OffsetsInitializerSpec = OffsetsInitializer.earliest();
  private bounded = false;
  private valueDeserializer: KafkaDeserializer<unknown> = KafkaDeserializers.string();
  private keyDeserializer: KafkaDeserializer<unknown> | undefined;
  private recordDeserializer: ((record: KafkaRawRecord) => unknown) | undefined;
  private withMetadata = false;
  private deadLetterDir: string | undefined;
  private readonly properties: Partial<KafkaSourceProperties> = {};
  private security: KafkaSecurity | undefined;

  /** The brokers to bootstrap from: `'host:port,host:port'` or a list. */
  setBootstrapServers(servers: string | readonly string[]): this {
    this.bootstrapServers = parseBootstrapServers(servers, 'KafkaSource');
    return this;
  }

  /**
   * TLS and SASL (Kafka's `security.protocol`, `sasl.mechanism`, `ssl.*`): see
   * {@link KafkaSecurity}. Passwords are given by reference (`{ env }` or
   * `{ file }`) and read on the worker when it connects; the job graph holds
   * only the reference.
   */
  setSecurity(security: KafkaSecurity): this {
    this.security = checkKafkaSecurity(security, 'KafkaSource.setSecurity');
    return this;
  }

  /** Reads these topics; each must exist when the job starts. */
  setTopics(...topics: string[]): this {
    if (topics.length === 0 || topics.some((t) => typeof t !== 'string' || t.trim() === '')) throw new ValidationError('KafkaSource.setTopics needs one or more topic names');
    this.topics = [...topics];
    this.topicPattern = undefined;
    return this;
  }

  /** Reads every topic whose whole name matches (internal `__` topics excluded); topics created later are found by partition discovery. */
  setTopicPattern(pattern: RegExp): this {
    this.topicPattern = pattern;
    this.topics = undefined;
    return this;
  }

  /** The consumer group offsets are committed to (for monitoring, when checkpoints complete) and read from with `committedOffsets()`. No group membership is used. */
  setGroupId(groupId: string): this {
    if (groupId.trim() === '') throw new ValidationError('KafkaSource.setGroupId needs a non-empty group id');
    this.groupId = groupId;
    return this;
  }

  /** Where partitions start on a fresh start (default earliest). */
  setStartingOffsets(initializer: OffsetsInitializerSpec): this {
    this.startingOffsets = initializer;
    return this;
  }

  /** Reads each partition up to the offset that was latest when the job first started, then ends (also after a restore). */
  setBounded(): this {
    this.bounded = true;
    return this;
  }

  /** How values are read (default: UTF-8 strings). With value-only output, records without a value (tombstones) are skipped and counted. */
  setValueDeserializer(deserializer: KafkaDeserializer<unknown>): this {
    this.valueDeserializer = checkDeserializer(deserializer, 'setValueDeserializer');
    return this;
  }

  /** How keys are read for `includeRecordMetadata()` (default: UTF-8 strings). */
  setKeyDeserializer(deserializer: KafkaDeserializer<unknown>): this {
    this.keyDeserializer = checkDeserializer(deserializer, 'setKeyDeserializer');
    return this;
  }

  /** Emits `KafkaRecord<K, V>` objects (key, value, topic, partition, offset, timestamp, headers) instead of values alone. */
  includeRecordMetadata(): this {
    this.withMetadata = true;
    return this;
  }

  /** Your function of the whole raw record decides what is emitted; it replaces the key and value deserializers. */
  setRecordDeserializer(fn: (record: KafkaRawRecord) => T): this {
    if (typeof fn !== 'function') throw new ValidationError('KafkaSource.setRecordDeserializer needs a function of the record');
    this.recordDeserializer = fn;
    return this;
  }

  /** Where records that fail to deserialize go (JSON lines); default: the job's dead-letter dir. */
  setDeadLetterDir(directory: string): this {
    this.deadLetterDir = resolve(directory);
    return this;
  }

  /** Sets one of the {@link KafkaSourceProperties}. */
  setProperty<K extends keyof KafkaSourceProperties>(name: K, value: KafkaSourceProperties[K]): this {
    if ((NUMERIC_PROPERTIES as readonly string[]).includes(name)) {
      const min = name === 'partitionDiscoveryIntervalMs' || name === 'fetchMaxWaitMs' ? 0 : 1;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ValidationError(`KafkaSource property ${name} must be an integer >= ${min}, got ${String(value)}`);
    } else if (name === 'isolationLevel') {
      if (value !== 'read_committed' && value !== 'read_uncommitted') throw new ValidationError(`KafkaSource property isolationLevel must be 'read_committed' or 'read_uncommitted', got ${String(value)}`);
    } else if (name === 'clientId') {
      if (typeof value !== 'string' || value === '') throw new ValidationError('KafkaSource property clientId must be a non-empty string');
    } else {
      throw new ValidationError(`KafkaSource has no property '${String(name)}': use one of ${[...NUMERIC_PROPERTIES, 'isolationLevel', 'clientId'].join(', ')}`);
    }
    this.properties[name] = value;
    return this;
  }

  /** The source, for `env.fromSource`. */
  build(): Source<T> {
    if (this.bootstrapServers.length === 0) throw new ValidationError("KafkaSource needs brokers: call setBootstrapServers('host:port')");
    if (!this.topics && !this.topicPattern) throw new ValidationError('KafkaSource needs topics: call setTopics(...) or setTopicPattern(...)');
    if (this.startingOffsets.kind === 'committed' && !this.groupId) throw new ValidationError('KafkaSource starts from committed offsets: call setGroupId(...) too');
    const functions: Record<string, unknown> = {};
    const kindOf = (d: KafkaDeserializer<unknown> | undefined, role: string): string => {
      if (d === undefined) return 'string';
      if (typeof d === 'function') {
        functions[role] = d;
        return 'function';
      }
      return d.kind;
    };
    let output: 'value' | 'record' | 'function' = 'value';
    let key = 'none';
    let value = 'none';
    if (this.recordDeserializer) {
      output = 'function';
      functions.recordDeserializer = this.recordDeserializer;
    } else {
      value = kindOf(this.valueDeserializer, 'valueDeserializer');
      if (this.withMetadata) {
        output = 'record';
        key = kindOf(this.keyDeserializer, 'keyDeserializer');
      }
    }
    const config: Record<string, unknown> = {
      bootstrapServers: this.bootstrapServers,
      startingOffsets: { ...this.startingOffsets },
      bounded: this.bounded,
      key,
      value,
      output,
      ...this.properties,
    };
    if (this.topics) config.topics = this.topics;
    if (this.topicPattern) config.topicPattern = { source: this.topicPattern.source, flags: this.topicPattern.flags };
    if (this.groupId) config.groupId = this.groupId;
    if (this.deadLetterDir) config.deadLetterDir = this.deadLetterDir;
    if (this.security) config.security = this.security;
    const name = this.topics ? `KafkaSource(${this.topics.join(',')})` : `KafkaSource(/${this.topicPattern!.source}/)`;
    return { connector: { ...KAFKA_CONNECTOR }, name, config, functions };
  }
}

function checkDeserializer(d: KafkaDeserializer<unknown>, method: string): KafkaDeserializer<unknown> {
  if (typeof d === 'function') return d;
  if (d && typeof d === 'object' && ['json', 'string', 'bytes'].includes(d.kind)) return d;
  throw new ValidationError(`KafkaSource.${method} needs KafkaDeserializers.json()/string()/bytes() or a function (bytes, metadata) => value`);
}
