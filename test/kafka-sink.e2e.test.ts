// The Kafka sink against a real Kafka 3.9 broker: exactly-once
// through SIGKILLed workers (read_committed sees each count once), at-least-once
// through SIGKILLed workers (nothing lost), the recovery of a transaction whose
// commit was cut off (driving the operator directly: pre-commit, drop, restore),
// rescaling to a lower parallelism, zombie fencing, and a topic chosen per record.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorDescriptor } from '@weir/common';
import { testOperatorContext } from '@weir/worker/testing';
import { KafkaRecordSerializer, KafkaSerializers, KafkaSink } from '@weir/connector-kafka';
import kafkaConnector from '@weir/connector-kafka/runtime';
import { startKafka, type KafkaBroker } from './helpers/kafka-broker.ts';
import { readTopic as readTopicWithKcat, type ConsumedMessage as Consumed } from './helpers/kafka-topics.ts';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts } from './helpers/outputs.ts';

const kafkaSink = kafkaConnector.operators.sink!;
let broker: KafkaBroker;
let cluster: TestCluster;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  [broker, cluster] = await Promise.all([startKafka(), startCluster({ workers: 2, slots: 4 })]);
  kafka = new Kafka({ clientId: 'weir-kafka-sink-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  // The broker creates its transaction log (50 partitions) on the first
  // transactional request: do it now, not in the first job's first checkpoint.
  const warmUp = kafka.producer({ transactionalId: 'warm-up', idempotent: true, maxInFlightRequests: 1 });
  await warmUp.connect();
  const transaction = await warmUp.transaction();
  await transaction.send({ topic: 'warm-up', messages: [{ value: 'x' }] });
  await transaction.commit();
  await warmUp.disconnect();
}, 120_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await admin?.disconnect();
  await Promise.all([cluster?.stop(), broker?.stop()]);
});

async function createTopic(topic: string, partitions = 3): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

/** Every message of `topic` up to its end, read with kcat (see helpers/kafka-topics.ts). */
function readTopic(topic: string, options: { readUncommitted?: boolean } = {}): Promise<Consumed[]> {
  return readTopicWithKcat(broker.bootstrap, topic, options);
}

function counts(messages: Consumed[]): { key: string; count: number }[] {
  return messages.map((m) => JSON.parse(m.value) as { key: string; count: number });
}

function expectedCounts(events: number, keys: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  return expected;
}

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', args[0]!, '-d', '--json', ...args.slice(1)]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

/** Waits for a completed checkpoint of this attempt, then SIGKILLs a worker running the sink; `kills` times. */
async function killWorkersWhileRunning(jobId: string, kills: number): Promise<number> {
  let done = 0;
  for (let kill = 0; kill < kills; kill++) {
    const before = (await cluster.completedCheckpoints(jobId)).length;
    // Generous: on a loaded 2-core machine a restart takes 5-20 s before the next checkpoint.
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > before ? true : undefined), 60_000, 'a checkpoint');
    const view = await cluster.status(jobId);
    if (view.status !== 'RUNNING') break;
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices.at(-1)!.subtasks[kill % 2]!.workerId);
    if (victim) {
      process.kill(victim.pid, 'SIGKILL');
      done++;
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
  return done;
}

describe('KafkaSink in a job, through SIGKILLed workers', () => {
  it('exactly-once: a read_committed consumer sees each key’s counts 1..total exactly once', async () => {
    const events = 90_000;
    const keys = 7;
    const topic = 'eo-counts';
    await createTopic(topic);
    const jobId = await submit(['test/fixtures/kafka-sink-counts-job.ts', '-p', '2', '--', '--bootstrap', broker.bootstrap, '--topic', topic, '--events', String(events), '--keys', String(keys), '--rate', '4000', '--checkpoint-interval', '500', '--guarantee', 'exactly-once', '--prefix', 'eo-']);
    const kills = await killWorkersWhileRunning(jobId, 3);
    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(view.restarts).toBeGreaterThanOrEqual(2);
    const messages = await readTopic(topic);
    expect(checkExactCounts(counts(messages), expectedCounts(events, keys))).toEqual([]);
    expect(messages.length).toBe(events);
    // The key serializer's key chose the partition: one partition per key.
    const partitions = new Map<string, Set<number>>();
    for (const m of messages) partitions.set(m.key, (partitions.get(m.key) ?? new Set()).add(m.partition));
    expect([...partitions.values()].every((p) => p.size === 1)).toBe(true);
    // Records of attempts that died were written, then aborted: a read_uncommitted reader sees more.
    const uncommitted = await readTopic(topic, { readUncommitted: true });
    expect(uncommitted.length).toBeGreaterThan(events);
  }, 240_000);

  it('at-least-once: every count 1..total is there (duplicates allowed) after SIGKILLed workers', async () => {
    const events = 40_000;
    const keys = 5;
    const topic = 'alo-counts';
    await createTopic(topic);
    const jobId = await submit(['test/fixtures/kafka-sink-counts-job.ts', '-p', '2', '--', '--bootstrap', broker.bootstrap, '--topic', topic, '--events', String(events), '--keys', String(keys), '--rate', '4000', '--checkpoint-interval', '500', '--guarantee', 'at-least-once']);
    const kills = await killWorkersWhileRunning(jobId, 1);
    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(kills).toBeGreaterThanOrEqual(1);
    const expected = expectedCounts(events, keys);
    const seen = new Map<string, Set<number>>();
    const messages = await readTopic(topic, { readUncommitted: true });
    expect(messages.length).toBeGreaterThanOrEqual(events);
    for (const { key, count } of counts(messages)) seen.set(key, (seen.get(key) ?? new Set()).add(count));
    for (const [key, total] of expected) {
      const set = seen.get(key) ?? new Set<number>();
      const missing = Array.from({ length: total }, (_, i) => i + 1).filter((c) => !set.has(c));
      expect(missing, key).toEqual([]);
    }
  }, 180_000);

  it('a topic selector writes each record to the topic it picks', async () => {
    const events = 2_000;
    const keys = 4;
    await createTopic('even-keys', 2);
    await createTopic('odd-keys', 2);
    const run = await cluster.run(['run', 'test/fixtures/kafka-sink-counts-job.ts', '-p', '2', '--', '--bootstrap', broker.bootstrap, '--topic', 'even-keys', '--odd-topic', 'odd-keys', '--events', String(events), '--keys', String(keys), '--checkpoint-interval', '300', '--guarantee', 'exactly-once', '--prefix', 'sel-']);
    expect(run.code, run.stderr).toBe(0);
    const even = counts(await readTopic('even-keys'));
    const odd = counts(await readTopic('odd-keys'));
    const all = expectedCounts(events, keys);
    expect(checkExactCounts(even, new Map([...all].filter(([k]) => k === 'k0' || k === 'k2')))).toEqual([]);
    expect(checkExactCounts(odd, new Map([...all].filter(([k]) => k === 'k1' || k === 'k3')))).toEqual([]);
  });
});

// ---------------------------------------------------------------- operator level

function sinkDescriptor(topic: string, guarantee: string, prefix: string): OperatorDescriptor {
  const sink = KafkaSink.builder<{ i: number }>()
    .setBootstrapServers(broker.bootstrap)
    .setRecordSerializer(KafkaRecordSerializer.builder<{ i: number }>().setTopic(topic).setKeySerializer((r) => `k${r.i % 3}`).setValueSerializer(KafkaSerializers.json()).build())
    .setDeliveryGuarantee(guarantee as 'exactly-once')
    .setTransactionalIdPrefix(prefix)
    // endBatch waits for its batch: what a test writes is on the broker when write() resolves.
    .setMaxInFlightBatches(1)
    .build();
  return { id: 'kafka-sink', name: sink.name, kind: 'sink.connector', connector: sink.connector, config: sink.config };
}

/** What a slot thread resolves the descriptor's functions to. */
function sinkFunctions(): Record<string, unknown> {
  return { valueSerializer: KafkaSerializers.json(), keySerializer: (r: { i: number }) => `k${r.i % 3}` };
}

function openSink(topic: string, prefix: string, options: { restoredState?: unknown[]; restoredCheckpointId?: number; subtaskIndex?: number; parallelism?: number; counters?: Map<string, number> } = {}) {
  const ctx = testOperatorContext({ descriptor: sinkDescriptor(topic, 'exactly-once', prefix), functions: sinkFunctions(), checkpointing: true, ...options });
  return kafkaSink(ctx);
}

function write(sink: ReturnType<typeof kafkaSink>, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) sink.process({ i });
  return sink.endBatch!() as Promise<void>;
}

function values(messages: Consumed[]): number[] {
  return messages.map((m) => (JSON.parse(m.value) as { i: number }).i).sort((a, b) => a - b);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('the exactly-once sink operator, restored against the real broker', () => {
  it('commits a transaction pre-committed before the crash exactly once, aborts the open one, and fences the zombie', async () => {
    const topic = 'op-recovery';
    await createTopic(topic);
    const first = openSink(topic, 'rec-');
    await first.open!();
    await write(first, 0, 100);
    const state = await first.snapshotState!(1); // pre-commit: flushed, not committed
    await write(first, 100, 150); // the next transaction, open when the "worker dies"
    // No notifyCheckpointComplete, no close: the process is gone as far as Kafka knows.

    const counters = new Map<string, number>();
    const restored = openSink(topic, 'rec-', { restoredState: structuredClone(state), restoredCheckpointId: 1, counters });
    await restored.open!();
    expect(counters.get('kafkaTransactionsRecommitted')).toBe(1);
    expect(counters.get('kafkaTransactionsFenced')).toBeGreaterThanOrEqual(1);
    await write(restored, 1000, 1010);
    await restored.snapshotState!(2);
    await restored.notifyCheckpointComplete!(2);

    // The zombie cannot add to or commit anything any more.
    await expect(write(first, 150, 160).then(() => first.snapshotState!(3))).rejects.toThrow();

    const committed = await readTopic(topic);
    expect(values(committed)).toEqual([...range(0, 100), ...range(1000, 1010)]);
    const uncommitted = await readTopic(topic, { readUncommitted: true });
    expect(values(uncommitted)).toEqual(expect.arrayContaining(range(100, 150)));
    await restored.close!();
  });

  it('restoring the same checkpoint twice (a second failure before the next one) commits nothing twice', async () => {
    const topic = 'op-twice';
    await createTopic(topic);
    const first = openSink(topic, 'twice-');
    await first.open!();
    await write(first, 0, 50);
    const state = await first.snapshotState!(7);
    await first.notifyCheckpointComplete!(7); // committed, and the worker dies before the next checkpoint
    for (let attempt = 0; attempt < 2; attempt++) {
      const again = openSink(topic, 'twice-', { restoredState: structuredClone(state), restoredCheckpointId: 7 });
      await again.open!();
      await write(again, 100 + attempt * 10, 110 + attempt * 10); // left open: fenced by the next attempt
    }
    const last = openSink(topic, 'twice-', { restoredState: structuredClone(state), restoredCheckpointId: 7 });
    await last.open!();
    await write(last, 500, 505);
    await last.snapshotState!(8);
    await last.notifyCheckpointComplete!(8);
    await last.close!();
    expect(values(await readTopic(topic))).toEqual([...range(0, 50), ...range(500, 505)]);
  });

  it('rescaled from 2 subtasks to 1: commits both subtasks’ pre-committed transactions and aborts both open ones', async () => {
    const topic = 'op-rescale';
    await createTopic(topic);
    const states: unknown[] = [];
    for (const subtaskIndex of [0, 1]) {
      const sink = openSink(topic, 'scale-', { subtaskIndex, parallelism: 2 });
      await sink.open!();
      await write(sink, subtaskIndex * 100, subtaskIndex * 100 + 40);
      states.push(...(await sink.snapshotState!(4)));
      await write(sink, subtaskIndex * 100 + 40, subtaskIndex * 100 + 60); // open at the crash
    }
    // state-assignment.ts at parallelism 1: subtask 0 gets every item.
    const counters = new Map<string, number>();
    const merged = openSink(topic, 'scale-', { subtaskIndex: 0, parallelism: 1, restoredState: structuredClone(states), restoredCheckpointId: 4, counters });
    await merged.open!();
    expect(counters.get('kafkaTransactionsRecommitted')).toBe(2);
    await write(merged, 1000, 1003);
    await merged.snapshotState!(5);
    await merged.notifyCheckpointComplete!(5);
    await merged.close!();
    // The last records are visible only if no transaction left open holds back the partitions.
    expect(values(await readTopic(topic))).toEqual([...range(0, 40), ...range(100, 140), ...range(1000, 1003)]);
  });
});

describe('KafkaSink.builder', () => {
  it('builds a JSON config plus functions, and says what is missing or wrong', () => {
    const serializer = KafkaRecordSerializer.builder<{ k: string }>().setTopic('t').setKeySerializer((r) => r.k).setValueSerializer(KafkaSerializers.json()).build();
    const sink = KafkaSink.builder<{ k: string }>().setBootstrapServers('a:1, b:2').setRecordSerializer(serializer).setDeliveryGuarantee('exactly-once').build();
    expect(sink.connector).toEqual({ name: 'kafka', module: '@weir/connector-kafka/runtime' });
    expect(JSON.parse(JSON.stringify(sink.config))).toEqual({
      bootstrapServers: ['a:1', 'b:2'],
      topic: 't',
      deliveryGuarantee: 'exactly-once',
      transactionalIdPrefix: 'weir-',
      transactionTimeoutMs: 900_000,
      clientId: null,
      maxInFlightBatches: 4,
    });
    expect(Object.keys(sink.functions ?? {}).sort()).toEqual(['keySerializer', 'valueSerializer']);
    expect(() => KafkaSink.builder().setBootstrapServers('localhost')).toThrow(/host:port/);
    expect(() => KafkaSink.builder().setBootstrapServers('a:1').build()).toThrow(/setRecordSerializer/);
    expect(() => KafkaRecordSerializer.builder().setTopic('t').build()).toThrow(/setValueSerializer/);
    expect(() => KafkaRecordSerializer.builder().setValueSerializer(KafkaSerializers.string()).build()).toThrow(/setTopic\(name\) or setTopicSelector/);
    expect(() => KafkaRecordSerializer.builder<string>().setTopic('t').setTopicSelector(() => 'u').setValueSerializer(KafkaSerializers.string()).build()).toThrow(/keep one/);
    expect(() => KafkaSink.builder().setDeliveryGuarantee('twice' as 'none')).toThrow(/'exactly-once', 'at-least-once' or 'none'/);
  });
});
