// The kafkajs client settings of every Kafka client the source and sink open.
import { logLevel, type KafkaConfig } from 'kafkajs';

/** Where a subtask's Kafka client connects, and under which client id (see kafka-client-config.ts). */
export interface KafkaConnectTarget {
  brokers: string[];
  clientId: string;
}

/**
 * The kafkajs client settings. kafkajs logs every error response (also the
 * ones it retries, such as CONCURRENT_TRANSACTIONS while a transaction is
 * fenced) at error level, so its logger is off: errors reach the task as
 * exceptions that name what failed.
 */
export function kafkajsConfig(target: KafkaConnectTarget): KafkaConfig {
  return { brokers: target.brokers, clientId: target.clientId, logLevel: logLevel.NOTHING, connectionTimeout: 3000 };
}
