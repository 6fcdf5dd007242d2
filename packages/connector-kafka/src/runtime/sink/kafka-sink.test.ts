import { describe, expect, it } from 'vitest';
import type { OperatorDescriptor } from '@weir/common';
import { testOperatorContext } from '@weir/worker/testing';
import { UserFunctionError } from '@weir/worker/connector';
import { kafkaSinkSettings, messageSerializer } from './kafka-sink-config.ts';
import { KafkaSinkSender } from './kafka-sink-sender.ts';
import { restoredSinkStates } from './kafka-sink-transactional-writer.ts';
import { RecordAccumulator } from './record-accumulator.ts';
import { decodeRecordSet } from '../wire/record-batch-decoder.ts';
import { MAX_BATCH_BYTES } from './record-producer.ts';

function descriptor(config: Record<string, unknown>): OperatorDescriptor {
  return { id: 'out', name: 'KafkaSink', kind: 'sink.connector', connector: { name: 'kafka', module: '@weir/connector-kafka/runtime' }, config: { bootstrapServers: ['localhost:9092'], topic: 't', deliveryGuarantee: 'exactly-once', ...config } };
}

const json = (r: unknown): string => JSON.stringify(r);

describe('RecordAccumulator', () => {
  const partitions = [
    { partitionId: 0, leader: 1 },
    { partitionId: 1, leader: 1 },
  ];

  it('encodes records into one batch per partition and takes at most one batch per partition per request', async () => {
    const accumulator = new RecordAccumulator(() => partitions);
    accumulator.append('t', { key: 'a', value: 'v1' }, 1000);
    accumulator.append('t', { key: 'a', value: 'v2' }, 1001);
    accumulator.append('t', { value: 'v3', partition: 1 }, 1002);
    expect(accumulator.size).toBe(3);
    const batches = accumulator.drain();
    expect(accumulator.size).toBe(0);
    expect(accumulator.drain()).toEqual([]);
    // 'a' hashes to one partition; v3 goes to partition 1 explicitly (the same one, or the other).
    expect(batches.reduce((n, b) => n + b.records.recordCount, 0)).toBe(3);
    expect(new Set(batches.map((b) => b.partition)).size).toBe(batches.length);
    const explicit = batches.find((b) => b.partition === 1)!;
    const { records } = await decodeRecordSet(explicit.records.build({ producerId: -1n, producerEpoch: -1, baseSequence: -1, transactional: false }), 0, null);
    const values = Array.from({ length: records.length }, (_, i) => records.valueText(i));
    expect(values).toContain('v3');
    expect(records.timestamp(values.indexOf('v3'))).toBe(1002);
  });

  it('closes a batch before it would pass the size limit, and keeps batches of a partition in order', () => {
    const accumulator = new RecordAccumulator(() => partitions);
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 25; i++) accumulator.append('t', { value: big, partition: 0 }, 1000);
    expect(accumulator.waitingBytes).toBeGreaterThan(0);
    const first = accumulator.drain();
    expect(first).toHaveLength(1);
    expect(first[0]!.records.sizeBytes).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    let total = first[0]!.records.recordCount;
    for (let batches = accumulator.drain(); batches.length > 0; batches = accumulator.drain()) {
      expect(batches).toHaveLength(1);
      total += batches[0]!.records.recordCount;
    }
    expect(total).toBe(25);
  });

  it('holds records of a topic without metadata, in order, until they can be routed', () => {
    let known = false;
    const accumulator = new RecordAccumulator(() => (known ? partitions : undefined));
    accumulator.append('new', { value: 'a', partition: 0 }, 1);
    known = true;
    accumulator.append('new', { value: 'b', partition: 0 }, 2);
    expect(accumulator.unroutedTopics).toEqual(['new']);
    expect(accumulator.unroutedRecords).toBe(2);
    expect(accumulator.drain()).toEqual([]);
    expect(accumulator.route('new', 3)).toBe(true);
    expect(accumulator.unroutedRecords).toBe(0);
    const [batch] = accumulator.drain();
    expect(batch!.records.recordCount).toBe(2);
  });
});

describe('KafkaSinkSender', () => {
  const partitions = [{ partitionId: 0, leader: 1 }];

  it('sends one request at a time, each taking what accumulated meanwhile, and flushes everything', async () => {
    const accumulator = new RecordAccumulator(() => partitions);
    const sent: number[] = [];
    const gates: (() => void)[] = [];
    const sender = new KafkaSinkSender(accumulator, {
      loadTopics: async () => undefined,
      send: async (batches) => {
        sent.push(batches.reduce((n, b) => n + b.records.recordCount, 0));
        await new Promise<void>((resolve) => gates.push(resolve));
      },
    });
    accumulator.append('t', { value: 'a' }, 1);
    sender.kick();
    accumulator.append('t', { value: 'b' }, 1);
    accumulator.append('t', { value: 'c' }, 1);
    sender.kick(); // one in flight: b and c wait for it
    await new Promise((r) => setTimeout(r, 5));
    expect(sent).toEqual([1]);
    const flushed = sender.flush();
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 5));
    expect(sent).toEqual([1, 2]);
    gates.shift()!();
    await flushed;
    expect(accumulator.size).toBe(0);
  });

  it('keeps the first failure, sends nothing after it, and throws it on the next wait', async () => {
    const accumulator = new RecordAccumulator(() => partitions);
    let calls = 0;
    const sender = new KafkaSinkSender(accumulator, {
      loadTopics: async () => undefined,
      send: async () => {
        calls++;
        throw new Error('broker said no');
      },
    });
    accumulator.append('t', { value: 'a' }, 1);
    await expect(sender.flush()).rejects.toThrow('broker said no');
    accumulator.append('t', { value: 'b' }, 1);
    sender.kick();
    await expect(sender.waitForRoom(0)).rejects.toThrow('broker said no');
    expect(calls).toBe(1);
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
