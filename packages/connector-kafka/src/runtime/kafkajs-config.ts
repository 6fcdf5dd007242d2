// The kafkajs client settings of every Kafka client the source and sink open.
import { logLevel, type KafkaConfig } from 'kafkajs';
import type { KafkaSecurity } from '../kafka-security.ts';
import { kafkajsSecurityOptions } from './kafka-security-options.ts';
import { installRequestQueueFix } from './kafkajs-request-queue.ts';

/** Where a subtask's Kafka client connects, under which client id (see kafka-client-config.ts) and how securely. */
export interface KafkaConnectTarget {
  brokers: string[];
  clientId: string;
  /** TLS and SASL; absent: PLAINTEXT. */
  security?: KafkaSecurity;
}

/**
 * The kafkajs client settings. kafkajs logs every error response (also the
 * ones it retries, such as CONCURRENT_TRANSACTIONS while a transaction is
 * fenced) at error level, so its logger is off: errors reach the task as
 * exceptions that name what failed. Secrets the security settings refer to
 * are read here, when the client is made. Making one also mends kafkajs'
 * idle connection timer (kafkajs-request-queue.ts).
 */
export function kafkajsConfig(target: KafkaConnectTarget): KafkaConfig {
  installRequestQueueFix();
  return { brokers: target.brokers, clientId: target.clientId, logLevel: logLevel.NOTHING, connectionTimeout: 3000, ...kafkajsSecurityOptions(target.security) };
}
