// The Kafka source against a real broker (scripts/kafka-local.sh) and a real
// `weir local` cluster: bounded reads, dead letters, a missing topic,
// exactly-once through a SIGKILLed worker, partition discovery, savepoints.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from './helpers/kafka-broker.ts';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';

const JOB = 'test/fixtures/kafka-source-job.ts';

interface Line {
  id: number;
  topic: string;
  partition: number;
  offset: number;
}

let broker: KafkaBroker;
let cluster: TestCluster;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let work: string;

beforeAll(async () => {
  [broker, cluster] = await Promise.all([startKafka(), startCluster({ workers: 2, slots: 4 })]);
  kafka = new Kafka({ clientId: 'weir-kafka-source-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  // Idempotent: a send retried under load must not write a record twice (the tests count records).
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  work = await mkdtemp(join(tmpdir(), 'weir-kafka-source-'));
}, 120_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await Promise.all([cluster?.stop(), broker?.stop()]);
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
}

/** Produces records { id } for ids [from, to), spread over `partitions` partitions. */
async function produce(topic: string, from: number, to: number, partitions: number): Promise<void> {
  for (let start = from; start < to; start += 1000) {
    const ids = Array.from({ length: Math.min(1000, to - start) }, (_, i) => start + i);
    await producer.send({ topic, messages: ids.map((id) => ({ partition: id % partitions, key: `k${id}`, value: JSON.stringify({ id }) })) });
  }
}

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', JOB, '-d', '--json', ...args]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

/** Problems with `lines` holding every id in [0, count) exactly once (empty when right). */
function exactlyOnce(lines: Line[], count: number): string[] {
  const seen = new Map<number, number>();
  for (const l of lines) seen.set(l.id, (seen.get(l.id) ?? 0) + 1);
  const missing = Array.from({ length: count }, (_, i) => i).filter((id) => !seen.has(id));
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const unknown = [...seen.keys()].filter((id) => id < 0 || id >= count);
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`${missing.length} ids missing, e.g. ${missing.slice(0, 5).join(',')}`);
  if (twice.length > 0) problems.push(`${twice.length} ids more than once, e.g. ${twice.slice(0, 5).join(',')}`);
  if (unknown.length > 0) problems.push(`unexpected ids ${unknown.slice(0, 5).join(',')}`);
  return problems;
}

async function readLines(directory: string): Promise<Line[]> {
  return readJsonLines<Line>(directory).catch(() => []);
}

describe('bounded reads', () => {
  it('reads every record of a 3-partition topic exactly once and finishes, at parallelism 2', async () => {
    await createTopic('bounded', 3);
    await produce('bounded', 0, 6000, 3);
    const output = join(work, 'bounded');
    const jobId = await submit(['-p', '2', '--', '--bootstrap', broker.bootstrap, '--topics', 'bounded', '--bounded', '--output', output]);
    const view = await cluster.waitForEnd(jobId, 60_000);
    expect(view.status, view.error ?? '').toBe('FINISHED');
    const lines = await readLines(output);
    expect(exactlyOnce(lines, 6000)).toEqual([]);
    // Record metadata is right: id i was produced to partition i mod 3, offsets 0..1999 in each.
    expect(lines.every((l) => l.topic === 'bounded' && l.partition === l.id % 3)).toBe(true);
    expect(new Set(lines.map((l) => `${l.partition}/${l.offset}`)).size).toBe(6000);
    expect(Math.max(...lines.map((l) => l.offset))).toBe(1999);
  });

  it('sends an undecodable record to the dead letters with reason, topic, partition and offset, and reads on', async () => {
    await createTopic('poison', 2);
    await produce('poison', 0, 100, 2);
    await producer.send({ topic: 'poison', messages: [{ partition: 1, key: 'bad', value: '{"id": oops' }] });
    await produce('poison', 100, 200, 2);
    const output = join(work, 'poison');
    const deadLetters = join(work, 'poison-dead-letters');
    const jobId = await submit(['-p', '2', '--', '--bootstrap', broker.bootstrap, '--topics', 'poison', '--bounded', '--output', output, '--dead-letters', deadLetters]);
    const view = await cluster.waitForEnd(jobId, 60_000);
    expect(view.status, view.error ?? '').toBe('FINISHED');
    expect(exactlyOnce(await readLines(output), 200)).toEqual([]);
    const letters: { reason: string; origin: Record<string, unknown>; raw: string }[] = [];
    for (const file of await readdir(deadLetters)) {
      for (const line of (await readFile(join(deadLetters, file), 'utf8')).split('\n')) if (line.trim()) letters.push(JSON.parse(line));
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toMatch(/cannot deserialize the record: .*JSON/);
    // The poison record was the 51st record of partition 1: offset 50.
    expect(letters[0]!.origin).toMatchObject({ topic: 'poison', partition: 1, offset: 50, key: 'bad' });
    expect(letters[0]!.raw).toBe('{"id": oops');
    expect(view.vertices[0]!.subtasks.reduce((n, s) => n + s.deadLetters, 0)).toBe(1);
  });

  it('fails the job with a clear message when a topic does not exist', async () => {
    const jobId = await submit(['--', '--bootstrap', broker.bootstrap, '--topics', 'bounded,no-such-topic', '--bounded', '--output', join(work, 'missing'), '--restarts', '0']);
    const view = await cluster.waitForEnd(jobId, 60_000);
    expect(view.status).toBe('FAILED');
    expect(view.error).toContain("Kafka topic 'no-such-topic' does not exist");
    expect(view.error).toContain('setTopics()');
    // Nothing created the topic on the way (no auto-creation by metadata requests).
    expect(await admin.listTopics()).not.toContain('no-such-topic');
  });
});

/** Waits until `directory` holds at least `count` lines, then for `checkpoints` more completed checkpoints (so late duplicates would show). */
async function settle(jobId: string, directory: string, count: number, checkpoints = 2): Promise<Line[]> {
  await eventually(async () => ((await readLines(directory)).length >= count ? true : undefined), 60_000, `${count} output lines in ${directory}`);
  const before = (await cluster.completedCheckpoints(jobId)).length;
  await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= before + checkpoints ? true : undefined), 30_000, 'more checkpoints');
  return readLines(directory);
}

describe('unbounded reads with checkpoints', () => {
  it('commits every record exactly once while a worker running a source subtask is SIGKILLed, and shows offsets and lag', async () => {
    const total = 20_000;
    await createTopic('live', 2);
    const output = join(work, 'live');
    const jobId = await submit(['-p', '2', '--', '--bootstrap', broker.bootstrap, '--topics', 'live', '--checkpoint-interval', '500', '--group', 'weir-live', '--output', output]);
    // Produce while the job runs, in steps, so the kill lands mid-stream.
    let produced = 0;
    const producing = (async () => {
      while (produced < total) {
        await produce('live', produced, produced + 1000, 2);
        produced += 1000;
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 1 && produced >= 4000 ? true : undefined), 30_000, 'a checkpoint');
    const view = await cluster.status(jobId);
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[0]!.subtasks[0]!.workerId)!;
    process.kill(victim.pid, 'SIGKILL');
    await producing;
    const lines = await settle(jobId, output, total);
    expect(exactlyOnce(lines, total)).toEqual([]);
    const after = await cluster.status(jobId);
    expect(after.status).toBe('RUNNING');
    expect(after.restarts).toBeGreaterThanOrEqual(1);
    // weir status: per partition the offset, the last checkpointed offset and the lag, each partition read by one subtask.
    const splits = await eventually(async () => {
      const v = await cluster.status(jobId);
      const all = v.vertices[0]!.subtasks.flatMap((t) => t.splits ?? []);
      return all.length === 2 && all.every((s) => s.position === String(total / 2) && s.checkpointedPosition === String(total / 2) && s.lag === 0) ? all : undefined;
    }, 20_000, 'splits at the end of both partitions');
    expect(splits.map((s) => s.id).sort()).toEqual(['live-0', 'live-1']);
    // Offsets are committed to the group for monitoring once checkpoints complete.
    const [committed] = await admin.fetchOffsets({ groupId: 'weir-live', topics: ['live'] });
    expect(committed!.partitions.map((p) => Number(p.offset))).toEqual([total / 2, total / 2]);
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
  });

  it('reads partitions added to a running topic', async () => {
    await createTopic('growing', 1);
    await produce('growing', 0, 100, 1);
    const output = join(work, 'growing');
    const jobId = await submit(['-p', '2', '--', '--bootstrap', broker.bootstrap, '--topics', 'growing', '--discovery-ms', '300', '--checkpoint-interval', '300', '--output', output]);
    await eventually(async () => ((await readLines(output)).length >= 100 ? true : undefined), 30_000, 'the first 100 records');
    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 4 }] });
    // A fresh producer, so it knows the new partitions.
    await producer.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await produce('growing', 100, 500, 4);
    const lines = await settle(jobId, output, 500);
    expect(exactlyOnce(lines, 500)).toEqual([]);
    expect(new Set(lines.map((l) => l.partition))).toEqual(new Set([0, 1, 2, 3]));
    const v = await cluster.status(jobId);
    const owners = v.vertices[0]!.subtasks.map((t) => (t.splits ?? []).map((s) => s.id));
    // Each partition is read by exactly one subtask.
    expect(owners.flat().sort()).toEqual(['growing-0', 'growing-1', 'growing-2', 'growing-3']);
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
  });

  it('stops with a savepoint and continues from its offsets at another parallelism (2 -> 3): nothing twice, nothing lost', async () => {
    await createTopic('saved', 3);
    await produce('saved', 0, 5000, 3);
    const first = join(work, 'saved-first');
    const args = ['--bootstrap', broker.bootstrap, '--topics', 'saved', '--checkpoint-interval', '500'];
    const jobId = await submit(['-p', '2', '--', ...args, '--output', first]);
    await settle(jobId, first, 5000, 1);
    await produce('saved', 5000, 7000, 3);
    const stop = await cluster.run(['stop', jobId, '--savepoint-path', join(work, 'savepoint'), '--json']);
    expect({ code: stop.code, stderr: stop.stderr }).toEqual({ code: 0, stderr: '' });
    const savepoint = (JSON.parse(stop.stdout) as { path: string }).path;
    const before = await readLines(first);
    await produce('saved', 7000, 10_000, 3);
    const second = join(work, 'saved-second');
    // Union list state: each new subtask takes the partitions it owns now, with their offsets.
    const restored = await submit(['-p', '3', '--from-savepoint', savepoint, '--', ...args, '--output', second]);
    const after = await settle(restored, second, 10_000 - before.length);
    expect(exactlyOnce([...before, ...after], 10_000)).toEqual([]);
    expect((await cluster.run(['cancel', restored])).code).toBe(0);
  });
});
