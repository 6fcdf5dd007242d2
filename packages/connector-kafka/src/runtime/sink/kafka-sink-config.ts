// The Kafka sink's settings as the worker reads them from the descriptor, and the serialization of records.
import type { KafkaConfig, Message } from 'kafkajs';
import { UserFunctionError, type OperatorContext } from '@weir/worker/connector';
import { kafkaClientId, parseBootstrapServers } from '../../kafka-client-config.ts';
import { kafkajsConfig } from '../kafkajs-config.ts';
import { checkKafkaSecurity, type KafkaSecurity } from '../../kafka-security.ts';

export type KafkaDeliveryGuarantee = 'exactly-once' | 'at-least-once' | 'none';

/** The sink's settings (the SDK's KafkaSinkConfig, checked again here: the graph is JSON). */
export interface KafkaSinkSettings {
  bootstrapServers: string[];
  topic: string | null;
  deliveryGuarantee: KafkaDeliveryGuarantee;
  transactionalIdPrefix: string;
  transactionTimeoutMs: number;
  clientId: string;
  maxInFlightBatches: number;
  /** TLS and SASL; absent: PLAINTEXT. */
  security?: KafkaSecurity;
}

type Serializer = (record: unknown) => unknown;

export function kafkaSinkSettings(ctx: OperatorContext): KafkaSinkSettings {
  const c = ctx.descriptor.config;
  const where = `Kafka sink '${ctx.descriptor.name}' (${ctx.descriptor.id})`;
  const bootstrapServers = parseBootstrapServers(c.bootstrapServers, where);
  const guarantee = c.deliveryGuarantee ?? 'at-least-once';
  if (guarantee !== 'exactly-once' && guarantee !== 'at-least-once' && guarantee !== 'none') {
    throw new Error(`${where} has delivery guarantee ${JSON.stringify(guarantee)}: use 'exactly-once', 'at-least-once' or 'none'`);
  }
  const topic = typeof c.topic === 'string' && c.topic.length > 0 ? c.topic : null;
  if (topic === null && typeof ctx.functions.topicSelector !== 'function') {
    throw new Error(`${where} has neither a topic nor a topic selector: call setTopic() or setTopicSelector() on its KafkaRecordSerializer`);
  }
  if (typeof ctx.functions.valueSerializer !== 'function') throw new Error(`${where} has no value serializer: call setValueSerializer() on its KafkaRecordSerializer`);
  return {
    bootstrapServers,
    topic,
    deliveryGuarantee: guarantee,
    transactionalIdPrefix: typeof c.transactionalIdPrefix === 'string' ? c.transactionalIdPrefix : 'weir-',
    transactionTimeoutMs: typeof c.transactionTimeoutMs === 'number' ? c.transactionTimeoutMs : 900_000,
    clientId: kafkaClientId({ clientId: typeof c.clientId === 'string' ? c.clientId : null }, ctx.runtime),
    maxInFlightBatches: typeof c.maxInFlightBatches === 'number' && c.maxInFlightBatches >= 1 ? c.maxInFlightBatches : 4,
    ...(c.security !== undefined && c.security !== null ? { security: checkKafkaSecurity(c.security, where) } : {}),
  };
}

/** The kafkajs client settings of the sink's producer. */
export function kafkaClientConfig(settings: KafkaSinkSettings): KafkaConfig {
  return kafkajsConfig({ brokers: settings.bootstrapServers, clientId: settings.clientId, ...(settings.security ? { security: settings.security } : {}) });
}

/** A record as a Kafka message and its topic. */
export type MessageOf = (record: unknown) => { topic: string; message: Message };

/** Applies the user's topic selector and serializers; their errors fail the task as user function errors. */
export function messageSerializer(ctx: OperatorContext, settings: KafkaSinkSettings): MessageOf {
  const valueSerializer = ctx.functions.valueSerializer as Serializer;
  const keySerializer = ctx.functions.keySerializer as Serializer | undefined;
  const topicSelector = ctx.functions.topicSelector as Serializer | undefined;
  const fixedTopic = settings.topic;
  const fail = (error: unknown): never => {
    throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
  };
  const bytes = (value: unknown, what: string): Buffer | string | null => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return fail(new TypeError(`the ${what} serializer returned ${typeof value}: return a Buffer, Uint8Array, string or null`));
  };
  return (record) => {
    let topic: unknown = fixedTopic;
    let key: unknown = null;
    let value: unknown;
    try {
      if (topicSelector) topic = topicSelector(record);
      if (keySerializer) key = keySerializer(record);
      value = valueSerializer(record);
    } catch (error) {
      fail(error);
    }
    if (typeof topic !== 'string' || topic.length === 0) fail(new TypeError(`the topic selector returned ${JSON.stringify(topic)}: return a topic name`));
    return { topic: topic as string, message: { key: bytes(key, 'key'), value: bytes(value, 'value') } };
  };
}
