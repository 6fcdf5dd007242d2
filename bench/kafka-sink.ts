// Kafka sink throughput: generator -> KafkaSink (chained) at parallelism 2 on
// 2 worker processes, ~100-byte JSON records (key + value), into a 4-partition
// topic of a local Kafka 3.9 broker (scripts/kafka-local.sh), once per
// delivery guarantee. Records/s is measured on the broker: the growth of the
// topic's end offsets between 10% and 90% of the run (exactly-once: offsets
// include transaction markers, one per partition and checkpoint, negligible).
// Run: npx node bench/kafka-sink.ts [--events 600000] [--modes exactly-once,at-least-once]
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/helpers/kafka-broker.ts';
import { BenchCluster, machine, weir } from './support/cluster.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '600000' },
    modes: { type: 'string', default: 'exactly-once,at-least-once' },
    'checkpoint-interval': { type: 'string', default: '1000' },
  },
});
const events = Number(values.events);
const modes = values.modes!.split(',');
const interval = values['checkpoint-interval']!;

const broker = await startKafka();
const cluster = new BenchCluster();
const kafka = new Kafka({ clientId: 'bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const rows: string[] = [];
try {
  await cluster.start(2, 2);
  await admin.connect();
  for (const mode of modes) {
    const topic = `bench-${mode}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
    const endOffsets = async (): Promise<number> => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    const submit = await weir(['run', 'test/fixtures/kafka-sink-bench-job.ts', '-p', '2', '-d', '--json', '--coordinator', cluster.address, '--', '--bootstrap', broker.bootstrap, '--topic', topic, '--events', String(events), '--guarantee', mode, '--checkpoint-interval', interval, '--prefix', `bench-${mode}-`]);
    if (submit.code !== 0) throw new Error(submit.stderr);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    const samples: { t: number; n: number }[] = [];
    const deadline = Date.now() + 10 * 60_000;
    // Polled in-process: spawning `weir status` would take CPU from the job.
    const client = cluster.client();
    try {
      for (;;) {
        samples.push({ t: performance.now(), n: await endOffsets() });
        const view = await client.status(jobId);
        if (view.status === 'FAILED' || view.status === 'CANCELED') throw new Error(`job ${mode} ${view.status}: ${view.error}`);
        if (view.status === 'FINISHED' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      client.close();
    }
    samples.push({ t: performance.now(), n: await endOffsets() });
    const total = samples.at(-1)!.n;
    const from = samples.find((s) => s.n >= total * 0.1)!;
    const to = samples.find((s) => s.n >= total * 0.9)!;
    const rate = (to.n - from.n) / ((to.t - from.t) / 1000);
    process.stderr.write(`${mode}: ${Math.round(rate)} records/s (${total} offsets for ${events} records)\n`);
    rows.push(`| ${mode} | ${interval} ms | ${events.toLocaleString('en-US')} | ${Math.round(rate).toLocaleString('en-US')} |`);
  }
  process.stdout.write(
    [
      `Kafka sink benchmark (generator -> KafkaSink, p=2 on 2 workers, ~100-byte records, 4 partitions, 1 broker) on ${machine()}`,
      '',
      '| guarantee | checkpoints | records | records/s |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await admin.disconnect().catch(() => undefined);
  await cluster.stop();
  await broker.stop();
}
