// Kafka -> keyed counts (RocksDB) -> Kafka with examples/kafka-exactly-once.ts
// against a real broker, while records keep arriving and workers are
// SIGKILLed: with exactly-once a read_committed consumer sees each key's
// counts exactly 1..total once each, also when the broker freezes for a while;
// with at-least-once none is missing.
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from './helpers/kafka-broker.ts';
import { readTopic } from './helpers/kafka-topics.ts';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts } from './helpers/outputs.ts';

const EXAMPLE = 'examples/kafka-exactly-once.ts';

let broker: KafkaBroker;
let cluster: TestCluster;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  [broker, cluster] = await Promise.all([startKafka(), startCluster({ workers: 2, slots: 4 })]);
  kafka = new Kafka({ clientId: 'weir-kafka-eo-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 120_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await Promise.all([cluster?.stop(), broker?.stop()]);
});

/** Produces `total` records {key: k<i mod keys>, i} over ~`seconds`, in batches, into 3 partitions. */
async function produceSlowly(topic: string, total: number, keys: number, seconds: number): Promise<void> {
  const batches = 40;
  const perBatch = Math.ceil(total / batches);
  for (let b = 0; b < batches; b++) {
    const messages = [];
    for (let i = b * perBatch; i < Math.min(total, (b + 1) * perBatch); i++) messages.push({ key: `k${i % keys}`, value: JSON.stringify({ key: `k${i % keys}`, i }) });
    await producer.send({ topic, messages });
    await new Promise((r) => setTimeout(r, (seconds * 1000) / batches));
  }
}

/** The output's counts, read with kcat (see helpers/kafka-topics.ts), once `count` messages are there (or after 60 s). */
async function readCounts(topic: string, count: number, readUncommitted: boolean): Promise<{ key: string; count: number }[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const messages = await readTopic(broker.bootstrap, topic, { readUncommitted });
    if (messages.length >= count || Date.now() > deadline) return messages.map((m) => JSON.parse(m.value) as { key: string; count: number });
    await new Promise((r) => setTimeout(r, 500));
  }
}

function expected(total: number, keys: number): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < total; i++) map.set(`k${i % keys}`, (map.get(`k${i % keys}`) ?? 0) + 1);
  return map;
}

/** Submits the example, produces while it runs, SIGKILLs a worker `kills` times after checkpoints; returns the job id. */
async function runWithKills(input: string, output: string, mode: string, total: number, keys: number, kills: number, during?: () => Promise<void>): Promise<string> {
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 3 }, { topic: output, numPartitions: 2 }], waitForLeaders: true });
  const submit = await cluster.run([
    'run', EXAMPLE, '-p', '2', '-d', '--json', '--',
    '--brokers', broker.bootstrap, '--input-topic', input, '--output-topic', output, '--checkpoint-interval', '500', '--mode', mode,
  ]);
  expect(submit.code, submit.stderr).toBe(0);
  const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
  const producing = produceSlowly(input, total, keys, 12);
  for (let k = 0; k < kills; k++) {
    const before = (await cluster.completedCheckpoints(jobId)).length;
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > before ? true : undefined), 60_000, 'a checkpoint');
    const view = await cluster.status(jobId);
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices.at(-1)!.subtasks[k % 2]!.workerId);
    if (victim) process.kill(victim.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 2500));
  }
  if (during) {
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > 0 ? true : undefined), 60_000, 'a checkpoint');
    await during();
  }
  await producing;
  return jobId;
}

describe('examples/kafka-exactly-once.ts', () => {
  it('exactly-once through SIGKILLed workers: read_committed sees each key’s counts 1..total once each', async () => {
    const total = 30_000;
    const keys = 9;
    const jobId = await runWithKills('eo-in', 'eo-out', 'exactly-once', total, keys, 2);
    const counts = await readCounts('eo-out', total, false);
    expect(checkExactCounts(counts, expected(total, keys))).toEqual([]);
    const view = await cluster.status(jobId);
    expect(view.status).toBe('RUNNING');
    expect(view.restarts).toBeGreaterThanOrEqual(2);
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
  });

  it('the broker stops answering for 6 s mid-run: the job waits it out, and the output is still exactly once', async () => {
    const total = 20_000;
    const keys = 4;
    const jobId = await runWithKills('frozen-in', 'frozen-out', 'exactly-once', total, keys, 0, async () => {
      await broker.pause();
      await new Promise((r) => setTimeout(r, 6_000));
      await broker.resume();
    });
    const counts = await readCounts('frozen-out', total, false);
    expect(checkExactCounts(counts, expected(total, keys))).toEqual([]);
    expect((await cluster.status(jobId)).status).toBe('RUNNING');
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
  });

  it('at-least-once through a SIGKILLed worker: no count is missing', async () => {
    const total = 20_000;
    const keys = 5;
    const jobId = await runWithKills('alo-in', 'alo-out', 'at-least-once', total, keys, 1);
    const counts = await readCounts('alo-out', total, true);
    const seen = new Map<string, Set<number>>();
    for (const c of counts) seen.set(c.key, (seen.get(c.key) ?? new Set()).add(c.count));
    for (const [key, n] of expected(total, keys)) {
      const missing = Array.from({ length: n }, (_, i) => i + 1).filter((c) => !seen.get(key)?.has(c));
      expect(missing, key).toEqual([]);
    }
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
  });
});
