import { describe, expect, it } from 'vitest';
import type { OperatorDescriptor } from '@weir/common';
import { testOperatorContext } from '../../testing/operator-context.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { kafkaSinkSettings, messageSerializer } from './kafka-sink-config.ts';
import { SendQueue } from './kafka-sink-send-queue.ts';
import { restoredSinkStates } from './kafka-sink-transactional-writer.ts';

function descriptor(config: Record<string, unknown>): OperatorDescriptor {
  return { id: 'out', name: 'KafkaSink', kind: 'sink.kafka', config: { bootstrapServers: ['localhost:9092'], topic: 't', deliveryGuarantee: 'exactly-once', ...config } };
}

const json = (r: unknown): string => JSON.stringify(r);

describe('SendQueue', () => {
  it('sends batches one after the other, in order, and lets the task wait below a bound', async () => {
    const queue = new SendQueue();
    const log: string[] = [];
    const gates: (() => void)[] = [];
    for (const name of ['a', 'b', 'c']) {
      queue.push(async () => {
        log.push(`start ${name}`);
        await new Promise<void>((resolve) => gates.push(resolve));
        log.push(`end ${name}`);
      });
    }
    expect(queue.size).toBe(3);
    const below = queue.waitBelow(3); // resolves once fewer than 3 are queued: when a is done
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['start a']); // b waits for a: one request at a time
    gates.shift()!();
    await below;
    expect(queue.size).toBe(2);
    expect(log).toEqual(['start a', 'end a', 'start b']);
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 10));
    gates.shift()!();
    await queue.drain();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('keeps the first failure, sends nothing after it, and throws it on the next wait', async () => {
    const queue = new SendQueue();
    const sent: number[] = [];
    queue.push(async () => sent.push(1));
    queue.push(async () => {
      throw new Error('broker said no');
    });
    queue.push(async () => sent.push(3));
    await expect(queue.drain()).rejects.toThrow('broker said no');
    expect(sent).toEqual([1]);
    await expect(queue.waitBelow(10)).rejects.toThrow('broker said no');
  });
});

describe('Kafka sink settings and serialization', () => {
  it('names what is missing', () => {
    expect(() => kafkaSinkSettings(testOperatorContext({ descriptor: descriptor({ bootstrapServers: [] }), functions: { valueSerializer: json } }))).toThrow(/setBootstrapServers/);
    expect(() => kafkaSinkSettings(testOperatorContext({ descriptor: descriptor({ topic: null }), functions: { valueSerializer: json } }))).toThrow(/setTopic\(\) or setTopicSelector\(\)/);
    expect(() => kafkaSinkSettings(testOperatorContext({ descriptor: descriptor({}) }))).toThrow(/setValueSerializer/);
    expect(() => kafkaSinkSettings(testOperatorContext({ descriptor: descriptor({ deliveryGuarantee: 'twice' }), functions: { valueSerializer: json } }))).toThrow(/'exactly-once', 'at-least-once' or 'none'/);
  });

  it('defaults the client id from job, operator and subtask', () => {
    const settings = kafkaSinkSettings(testOperatorContext({ descriptor: descriptor({}), functions: { valueSerializer: json }, subtaskIndex: 1, parallelism: 2 }));
    expect(settings).toMatchObject({ clientId: 'weir-job-1-out-1', transactionalIdPrefix: 'weir-', maxInFlightBatches: 4, deliveryGuarantee: 'exactly-once' });
  });

  it('turns records into messages with the topic selector and serializers', () => {
    const ctx = testOperatorContext({
      descriptor: descriptor({ topic: null }),
      functions: { valueSerializer: json, keySerializer: (r: { k: string }) => new TextEncoder().encode(r.k), topicSelector: (r: { k: string }) => `topic-${r.k}` },
    });
    const { topic, message } = messageSerializer(ctx, kafkaSinkSettings(ctx))({ k: 'a', n: 1 });
    expect(topic).toBe('topic-a');
    expect(Buffer.isBuffer(message.key) && message.key.toString()).toBe('a');
    expect(message.value).toBe('{"k":"a","n":1}');
  });

  it('fails the task with a user function error when a serializer throws or returns something else than bytes', () => {
    const throwing = testOperatorContext({ descriptor: descriptor({}), functions: { valueSerializer: () => { throw new Error('bad record'); } } });
    expect(() => messageSerializer(throwing, kafkaSinkSettings(throwing))({})).toThrow(UserFunctionError);
    const numeric = testOperatorContext({ descriptor: descriptor({}), functions: { valueSerializer: () => 42 } });
    expect(() => messageSerializer(numeric, kafkaSinkSettings(numeric))({})).toThrow(/returned number/);
    const noTopic = testOperatorContext({ descriptor: descriptor({ topic: null }), functions: { valueSerializer: json, topicSelector: () => '' } });
    expect(() => messageSerializer(noTopic, kafkaSinkSettings(noTopic))({})).toThrow(/return a topic name/);
  });

  it('refuses restored state that is not a Kafka sink state, naming the way out', () => {
    const ctx = testOperatorContext({ descriptor: descriptor({}), functions: { valueSerializer: json }, restoredState: [{ directory: '/x', name: 'part-0', checkpointId: 3 }] });
    expect(() => restoredSinkStates(ctx)).toThrow(/not a Kafka sink's state/);
    const ok = { idBase: 'weir-job-1-out-0', jobId: 'job-1', nextCounter: 3, pending: [] };
    expect(restoredSinkStates(testOperatorContext({ descriptor: descriptor({}), restoredState: [ok] }))).toEqual([ok]);
  });
});
