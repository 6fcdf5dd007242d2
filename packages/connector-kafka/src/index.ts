/**
 * Weir's Kafka connector for jobs: `KafkaSource` (partition discovery,
 * offsets in checkpoints, per-partition watermarks) and `KafkaSink`
 * (at-least-once, or exactly-once with one transaction per checkpoint).
 *
 * @packageDocumentation
 */
export {
  KafkaSink,
  KafkaSinkBuilder,
  KafkaRecordSerializer,
  KafkaRecordSerializerBuilder,
  KafkaSerializers,
  type KafkaSerializer,
  type KafkaTopicSelector,
  type KafkaDeliveryGuarantee,
  type KafkaSinkConfig,
} from './api/kafka-sink.ts';
export {
  KafkaSource,
  KafkaSourceBuilder,
  KafkaDeserializers,
  OffsetsInitializer,
  type KafkaDeserializer,
  type KafkaBuiltinDeserializer,
  type KafkaRecord,
  type KafkaRawRecord,
  type KafkaRecordMetadata,
  type KafkaSourceProperties,
  type OffsetsInitializerSpec,
} from './api/kafka-source.ts';
export {
  type KafkaSecurity,
  type KafkaSecurityProtocol,
  type KafkaSaslMechanism,
  type KafkaSaslSettings,
  type KafkaSecretRef,
  type KafkaTlsSettings,
} from './kafka-security.ts';
