// The Kafka sink's writer for at-least-once and none: one idempotent producer for the whole run.
import type { OperatorContext } from '@weir/worker/connector';
import { connectSecured } from '../kafka-security-options.ts';
import { openKafkaConnection } from './kafka-producer-internals.ts';
import { kafkaClientConfig, type KafkaSinkSettings } from './kafka-sink-config.ts';
import { recoverTransactions, restoredSinkStates } from './kafka-sink-transactional-writer.ts';
import type { KafkaSinkWriter } from './kafka-sink-writer.ts';

/**
 * At-least-once (and `none`): one producer per subtask, idempotent
 * (no duplicates from its own retries) unless the guarantee is `none`. The
 * operator waits for every batch on a checkpoint's barrier (at-least-once)
 * and at the end of the input, so nothing written before a completed
 * checkpoint is lost; what was written after it is written again on recovery.
 *
 * If the state restored comes from an exactly-once run of this sink (its
 * guarantee was changed), its transactions are committed first.
 */
export function idempotentWriter(ctx: OperatorContext, settings: KafkaSinkSettings): KafkaSinkWriter {
  const idempotent = settings.deliveryGuarantee !== 'none';
  const connection = openKafkaConnection(kafkaClientConfig(settings));
  const producer = connection.producer(idempotent);
  return {
    async open() {
      await connectSecured(() => connection.connect(), settings.bootstrapServers, settings.security);
      const states = restoredSinkStates(ctx);
      if (states.length > 0) await recoverTransactions(ctx, connection, states, undefined, settings.transactionTimeoutMs);
      await producer.init();
    },
    partitionsOf: (topic) => connection.partitionsOf(topic),
    loadTopics: (topics) => connection.loadTopics(topics),
    async send(batches) {
      await producer.send(batches);
    },
    snapshot: async () => [],
    async commit() {},
    async close() {
      await connection.disconnect();
    },
  };
}
