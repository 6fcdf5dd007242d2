// Kafka -> map -> Kafka at parallelism 2 on 2 worker processes against a
// real broker (scripts/kafka-local.sh), ~100-byte JSON records.
// 1. Throughput: a pre-produced topic read by a bounded source; records/s
//    from job start to FINISHED (the last transaction committed), for
//    exactly-once and at-least-once.
// 2. Latency: records produced at a fixed rate (default half the measured
//    exactly-once throughput), each stamped with its produce time; a
//    read_committed (exactly-once) or read_uncommitted (at-least-once)
//    consumer of the output takes now - stamp. Exactly-once latency is
//    bounded below by the checkpoint interval, since output becomes visible
//    only when the checkpoint that covers it completes.
// Job status is polled in-process over gRPC (not by spawning `weir status`,
// which would take CPU from the pipeline on a small machine). Before
// measuring, one transactional producer is initialized so that the broker
// has created its transaction log (a one-time cost of a fresh broker, over a
// second on a single node). Besides records/s from submission to FINISHED,
// the table gives records/s from the first record read (as the job status
// reports it, every 500 ms) to FINISHED: the rate once deployed.
// Run: npx node bench/kafka-pipeline.ts [--records 1000000] [--checkpoint-interval 1000] [--latency-seconds 20] [--skip-latency]
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startKafka } from '../test/helpers/kafka-broker.ts';
import { BenchCluster, cpuSeconds, machine, weir } from './support/cluster.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'checkpoint-interval': { type: 'string', default: '1000' },
    'latency-seconds': { type: 'string', default: '20' },
    'latency-rate': { type: 'string' },
    'skip-latency': { type: 'boolean', default: false },
  },
});
const records = Number(values.records);
const interval = values['checkpoint-interval']!;
const partitions = 2;
const padding = 'x'.repeat(40);

const broker = await startKafka();
const kafka = new Kafka({ clientId: 'weir-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const cluster = new BenchCluster();

function message(seq: number): { partition: number; value: string } {
  return { partition: seq % partitions, value: JSON.stringify({ key: `key-${seq % 10_000}`, seq, ts: Date.now(), payload: padding }) };
}

async function produceAll(producer: Producer, topic: string, count: number): Promise<void> {
  const batch = 10_000;
  for (let start = 0; start < count; start += batch * 4) {
    const sends: Promise<unknown>[] = [];
    for (let b = start; b < Math.min(count, start + batch * 4); b += batch) {
      sends.push(producer.send({ topic, messages: Array.from({ length: Math.min(batch, count - b) }, (_, i) => message(b + i)) }));
    }
    await Promise.all(sends);
  }
}

async function submit(args: string[]): Promise<string> {
  const r = await weir(['run', 'bench/jobs/kafka-pipeline.ts', '-p', '2', '-d', '--json', '--coordinator', cluster.address, '--', '--bootstrap', broker.bootstrap, ...args]);
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { jobId: string }).jobId;
}

/** CPU seconds the broker processes (kafka-local.sh's pids file) have used so far. */
async function brokerCpuSeconds(): Promise<number> {
  const text = await readFile(join(broker.directory, 'pids'), 'utf8').catch(() => '');
  const pids = [...text.matchAll(/^node\d+ (\d+)$/gm)].map((m) => Number(m[1]));
  return (await Promise.all(pids.map((p) => cpuSeconds(p).catch(() => 0)))).reduce((a, b) => a + b, 0);
}

async function warmUpTransactions(): Promise<void> {
  const txn = kafka.producer({ transactionalId: 'weir-bench-warm-up', maxInFlightRequests: 1, idempotent: true });
  await txn.connect();
  await txn.disconnect();
}

async function throughput(guarantee: string): Promise<{ rate: number; readingRate: number; cores: number; brokerCores: number; seconds: number; perRequest: number }> {
  const input = `tp-in-${guarantee}`;
  await admin.createTopics({ topics: [{ topic: input, numPartitions: partitions }, { topic: `tp-out-${guarantee}`, numPartitions: partitions }], waitForLeaders: true });
  await produceAll(producer, input, records);
  const pids = [cluster.coordinatorPid, ...(await cluster.workerPids())];
  const cpu0 = (await Promise.all(pids.map((p) => cpuSeconds(p).catch(() => 0)))).reduce((a, b) => a + b, 0);
  const brokerCpu0 = await brokerCpuSeconds();
  const started = performance.now();
  const jobId = await submit(['--input', input, '--output', `tp-out-${guarantee}`, '--guarantee', guarantee, '--checkpoint-interval', interval, '--bounded']);
  const client = cluster.client();
  let firstRead: number | undefined;
  let requests = 0;
  try {
    for (;;) {
      const view = await client.status(jobId);
      if (firstRead === undefined && view.vertices[0]!.subtasks.some((t) => t.recordsIn > 0)) firstRead = performance.now();
      if (view.status === 'FINISHED') {
        requests = view.vertices.flatMap((v) => v.subtasks).reduce((sum, t) => sum + (t.counters?.kafkaProduceRequests ?? 0), 0);
        break;
      }
      if (view.status === 'FAILED' || view.status === 'CANCELED') throw new Error(`job ${view.status}: ${view.error}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = (await Promise.all(pids.map((p) => cpuSeconds(p).catch(() => 0)))).reduce((a, b) => a + b, 0);
  const brokerCpu1 = await brokerCpuSeconds();
  const readingSeconds = (performance.now() - (firstRead ?? started)) / 1000;
  return {
    rate: records / seconds,
    readingRate: records / readingSeconds,
    cores: (cpu1 - cpu0) / seconds,
    brokerCores: (brokerCpu1 - brokerCpu0) / seconds,
    seconds,
    perRequest: requests > 0 ? records / requests : Number.NaN,
  };
}

async function latency(guarantee: string, rate: number, seconds: number): Promise<{ p50: number; p99: number; count: number }> {
  const input = `lat-in-${guarantee}`;
  const output = `lat-out-${guarantee}`;
  await admin.createTopics({ topics: [{ topic: input, numPartitions: partitions }, { topic: output, numPartitions: partitions }], waitForLeaders: true });
  const jobId = await submit(['--input', input, '--output', output, '--guarantee', guarantee, '--checkpoint-interval', interval]);
  const consumer = kafka.consumer({ groupId: `lat-${guarantee}`, readUncommitted: guarantee !== 'exactly-once', maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: output, fromBeginning: true });
  const latencies: number[] = [];
  let measuring = false;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      if (!measuring) return;
      for (const m of batch.messages) latencies.push(now - (JSON.parse(m.value!.toString()) as { ts: number }).ts);
    },
  });
  // Warm up for 3 s, then measure for `seconds`, producing every 20 ms.
  const tick = 20;
  const perTick = Math.max(1, Math.round((rate * tick) / 1000));
  let seq = 0;
  const end = performance.now() + 3_000 + seconds * 1000;
  const measureFrom = performance.now() + 3_000;
  while (performance.now() < end) {
    const t0 = performance.now();
    if (!measuring && t0 >= measureFrom) measuring = true;
    await producer.send({ topic: input, messages: Array.from({ length: perTick }, () => message(seq++)) });
    await new Promise((r) => setTimeout(r, Math.max(0, tick - (performance.now() - t0))));
  }
  await new Promise((r) => setTimeout(r, 3 * Number(interval) + 1000));
  await consumer.disconnect();
  await weir(['cancel', jobId, '--coordinator', cluster.address]);
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), count: latencies.length };
}

try {
  await cluster.start(2, 4);
  await warmUpTransactions();
  const eo = await throughput('exactly-once');
  const alo = await throughput('at-least-once');
  const rate = values['latency-rate'] ? Number(values['latency-rate']) : Math.round(eo.rate / 2);
  const seconds = Number(values['latency-seconds']);
  const skipped = { p50: Number.NaN, p99: Number.NaN, count: 0 };
  const eoLatency = values['skip-latency'] ? skipped : await latency('exactly-once', rate, seconds);
  const aloLatency = values['skip-latency'] ? skipped : await latency('at-least-once', rate, seconds);
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  process.stdout.write(
    [
      `kafka-pipeline benchmark: Kafka -> map -> Kafka, p=2 on 2 workers, ${partitions} partitions, ~100-byte JSON, checkpoints every ${interval} ms, on ${machine()}`,
      '',
      '| guarantee | records | seconds | records/s | records/s from first record read | cores used (Weir) | cores used (broker) | records per produce request |',
      '|---|---|---|---|---|---|---|---|',
      `| exactly-once | ${n(records)} | ${eo.seconds.toFixed(1)} | ${n(eo.rate)} | ${n(eo.readingRate)} | ${eo.cores.toFixed(2)} | ${eo.brokerCores.toFixed(2)} | ${n(eo.perRequest)} |`,
      `| at-least-once | ${n(records)} | ${alo.seconds.toFixed(1)} | ${n(alo.rate)} | ${n(alo.readingRate)} | ${alo.cores.toFixed(2)} | ${alo.brokerCores.toFixed(2)} | ${n(alo.perRequest)} |`,
      '',
      `Latency at ${n(rate)} records/s for ${seconds} s (produce -> visible to the output consumer):`,
      '',
      '| guarantee | records measured | p50 ms | p99 ms |',
      '|---|---|---|---|',
      `| exactly-once (read_committed) | ${n(eoLatency.count)} | ${n(eoLatency.p50)} | ${n(eoLatency.p99)} |`,
      `| at-least-once | ${n(aloLatency.count)} | ${n(aloLatency.p50)} | ${n(aloLatency.p99)} |`,
      '',
    ].join('\n'),
  );
} finally {
  await producer.disconnect();
  await admin.disconnect();
  await cluster.stop();
  await broker.stop();
}
