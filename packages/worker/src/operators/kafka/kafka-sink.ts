import type { Message } from 'kafkajs';
import type { ChainedOperator, OperatorContext } from '../../runtime/operator.ts';
import type { TopicMessages } from './kafka-producer-internals.ts';
import { kafkaSinkSettings, MAX_BATCH_RECORDS, messageSerializer } from './kafka-sink-config.ts';
import { idempotentWriter } from './kafka-sink-idempotent-writer.ts';
import { SendQueue } from './kafka-sink-send-queue.ts';
import { transactionalWriter } from './kafka-sink-transactional-writer.ts';

/**
 * The Kafka sink (`KafkaSink.builder()` in the SDK). Records are serialized
 * as they pass (`process`) and handed over once per input frame
 * (`endBatch`) as one `sendBatch`; requests go one at a time, frames that
 * arrive while one is in flight are merged into the next, and the task
 * waits while `maxInFlightBatches` batches are queued. A batch holds at most
 * MAX_BATCH_RECORDS records, so nothing buffers without bound.
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
  const queue = new SendQueue();
  let buffer = new Map<string, Message[]>();
  let buffered = 0;
  // The batch queued behind the one being sent: frames dispatched while a
  // request is in flight join it (up to MAX_BATCH_RECORDS), so requests grow
  // with the broker's latency instead of queueing many small ones.
  let waiting: { topics: Map<string, Message[]>; count: number } | undefined;

  function dispatch(): void {
    if (buffered === 0) return;
    if (waiting && waiting.count + buffered <= MAX_BATCH_RECORDS) {
      for (const [topic, messages] of buffer) {
        const list = waiting.topics.get(topic);
        if (list) for (const m of messages) list.push(m);
        else waiting.topics.set(topic, messages);
      }
      waiting.count += buffered;
    } else {
      const batch = { topics: buffer, count: buffered };
      waiting = batch;
      queue.push(() => {
        if (waiting === batch) waiting = undefined;
        const topicMessages: TopicMessages[] = [];
        for (const [topic, messages] of batch.topics) topicMessages.push({ topic, messages });
        return writer.send(topicMessages);
      });
    }
    buffer = new Map();
    buffered = 0;
  }

  return {
    open: () => writer.open(),
    process(record) {
      const { topic, message } = messageOf(record);
      const messages = buffer.get(topic);
      if (messages) messages.push(message);
      else buffer.set(topic, [message]);
      if (++buffered >= MAX_BATCH_RECORDS) dispatch();
    },
    async endBatch() {
      dispatch();
      await queue.waitBelow(settings.maxInFlightBatches);
    },
    async snapshotState(checkpointId) {
      dispatch();
      if (flushOnCheckpoint || transactional) await queue.drain();
      return writer.snapshot(checkpointId);
    },
    async notifyCheckpointComplete(checkpointId) {
      await writer.commit(checkpointId);
    },
    async finish() {
      dispatch();
      await queue.drain();
    },
    async close() {
      await writer.close();
    },
  };
}
