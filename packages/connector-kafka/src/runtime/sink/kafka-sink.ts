// The Kafka sink operator: serializes records into batches and hands checkpoints to its writer.
import type { ChainedOperator, OperatorContext } from '@weir/worker/connector';
import { kafkaSinkSettings, messageSerializer } from './kafka-sink-config.ts';
import { idempotentWriter } from './kafka-sink-idempotent-writer.ts';
import { DEFAULT_LINGER, KafkaSinkSender } from './kafka-sink-sender.ts';
import { transactionalWriter } from './kafka-sink-transactional-writer.ts';
import { RecordAccumulator } from './record-accumulator.ts';
import { MAX_BATCH_BYTES } from './record-producer.ts';

/**
 * The Kafka sink (`KafkaSink.builder()` in the SDK). Records are serialized
 * and encoded as they pass (`process`) into one record batch per partition
 * (RecordAccumulator); requests go one at a time, each taking what
 * accumulated while the previous one was in flight (KafkaSinkSender). A
 * batch holds at most MAX_BATCH_BYTES, and the task waits while more than
 * `maxInFlightBatches` full batches wait, so nothing buffers without bound.
 *
 * Exactly-once with checkpointing writes each checkpoint's records in a
 * Kafka transaction (see transactionalWriter); otherwise an idempotent
 * producer (see idempotentWriter): at-least-once, flushed on every
 * checkpoint and at the end of the input.
 */
export function kafkaSink(ctx: OperatorContext): ChainedOperator {
  const settings = kafkaSinkSettings(ctx);
  const messageOf = messageSerializer(ctx, settings);
  const transactional = ctx.checkpointing && settings.deliveryGuarantee === 'exactly-once';
  const writer = transactional ? transactionalWriter(ctx, settings) : idempotentWriter(ctx, settings);
  const flushOnCheckpoint = settings.deliveryGuarantee !== 'none';
  const accumulator = new RecordAccumulator((topic) => writer.partitionsOf(topic));
  const sender = new KafkaSinkSender(accumulator, writer, DEFAULT_LINGER, () => ctx.count('kafkaProduceRequests'));
  const maxWaitingBytes = settings.maxInFlightBatches * MAX_BATCH_BYTES;

  return {
    async open() {
      await writer.open();
      if (settings.topic !== null) await writer.loadTopics([settings.topic]);
    },
    process(record) {
      const { topic, message } = messageOf(record);
      accumulator.append(topic, message, Date.now());
    },
    async endBatch() {
      sender.offer();
      await sender.waitForRoom(maxWaitingBytes);
    },
    async snapshotState(checkpointId) {
      if (flushOnCheckpoint || transactional) await sender.flush();
      else sender.throwIfFailed();
      return writer.snapshot(checkpointId);
    },
    async notifyCheckpointComplete(checkpointId) {
      await writer.commit(checkpointId);
    },
    async finish() {
      await sender.flush();
    },
    async close() {
      sender.close();
      await writer.close();
    },
  };
}
