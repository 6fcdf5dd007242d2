/**
 * The Kafka connector's runtime (`@weir/connector-kafka/runtime`), which
 * workers load into their slot threads (`weir worker --connector
 * @weir/connector-kafka/runtime`, the default of `weir worker` and `weir
 * local`): the source and sink operators of the jobs that use
 * `KafkaSource` and `KafkaSink`.
 *
 * @packageDocumentation
 */
import type { ConnectorRuntime } from '@weir/worker/connector';
import { KAFKA_CONNECTOR } from '../kafka-connector.ts';
import { kafkaSink } from './sink/kafka-sink.ts';
import { kafkaSource } from './source/kafka-source.ts';

/** The Kafka connector's operator factories, registered by the worker under `kafka`. */
const kafkaConnector: ConnectorRuntime = {
  name: KAFKA_CONNECTOR.name,
  operators: { source: kafkaSource, sink: kafkaSink },
};

export default kafkaConnector;

export { installRequestQueueFix } from './kafkajs-request-queue.ts';
