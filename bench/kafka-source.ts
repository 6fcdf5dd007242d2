// Throughput of the Kafka source: a pre-produced topic (2 partitions,
// ~100-byte JSON values) read by a bounded Kafka source -> discard at
// parallelism 2 on 2 worker processes, against a real broker
// (scripts/kafka-local.sh). The rate is taken from the source's record
// counters over the run, from the first record to the last.
// Run: npx node bench/kafka-source.ts [--records 2000000]
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/helpers/kafka-broker.ts';
import { BenchCluster, cpuSeconds, machine, rssMiB, weir } from './support/cluster.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '2000000' }, partitions: { type: 'string', default: '2' } } });
const records = Number(values.records);
const partitions = Number(values.partitions);
const topic = 'bench';

const broker = await startKafka();
const cluster = new BenchCluster();
try {
  const kafka = new Kafka({ clientId: 'weir-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const produceStart = performance.now();
  const padding = 'x'.repeat(40);
  const batch = 10_000;
  for (let start = 0; start < records; start += batch * 4) {
    const sends: Promise<unknown>[] = [];
    for (let b = start; b < Math.min(records, start + batch * 4); b += batch) {
      const messages = Array.from({ length: Math.min(batch, records - b) }, (_, i) => {
        const seq = b + i;
        return { partition: seq % partitions, value: JSON.stringify({ key: `key-${seq % 10_000}`, seq, ts: 1_700_000_000_000 + seq, payload: padding }) };
      });
      sends.push(producer.send({ topic, messages }));
    }
    await Promise.all(sends);
  }
  await producer.disconnect();
  process.stderr.write(`produced ${records} records in ${((performance.now() - produceStart) / 1000).toFixed(1)} s\n`);

  await cluster.start(2, 2);
  const submit = await weir(['run', 'test/fixtures/kafka-discard-job.ts', '-p', '2', '-d', '--json', '--coordinator', cluster.address, '--', '--bootstrap', broker.bootstrap, '--topic', topic]);
  if (submit.code !== 0) throw new Error(submit.stderr);
  const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
  const pids = [cluster.coordinatorPid, ...(await cluster.workerPids())];
  const samples: { t: number; n: number; cpu: number }[] = [];
  let maxRss = 0;
  // Polled in-process: spawning `weir status` would take CPU from the job.
  const client = cluster.client();
  try {
    for (;;) {
      const view = await client.status(jobId);
      // Source and discard are chained: the source subtasks count each record they emit as recordsIn.
      const n = view.vertices[0]!.subtasks.reduce((s, t) => s + t.recordsIn, 0);
      const cpu = (await Promise.all(pids.map((p) => cpuSeconds(p).catch(() => 0)))).reduce((a, b) => a + b, 0);
      for (const pid of pids.slice(1)) maxRss = Math.max(maxRss, await rssMiB(pid).catch(() => 0));
      if (n > 0) samples.push({ t: performance.now(), n, cpu });
      if (view.status === 'FINISHED' || view.status === 'FAILED' || view.status === 'CANCELED') {
        if (view.status !== 'FINISHED') throw new Error(`job ended ${view.status}: ${view.error}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    client.close();
  }
  if (samples.length < 2) throw new Error(`the job read ${samples.at(-1)?.n ?? 0} records before the first two samples: produce more records (--records)`);
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const elapsed = (last.t - first.t) / 1000;
  const rate = (last.n - first.n) / elapsed;
  const cores = (last.cpu - first.cpu) / elapsed;
  process.stdout.write(
    [
      `kafka-source benchmark: ${records.toLocaleString('en-US')} records (~100-byte JSON) in ${partitions} partitions, bounded Kafka source -> discard, p=2 on 2 workers, on ${machine()}`,
      '',
      '| records read | seconds (first to last sample) | records/s | cores used | max worker RSS (MiB) |',
      '|---|---|---|---|---|',
      `| ${last.n.toLocaleString('en-US')} | ${elapsed.toFixed(1)} | ${Math.round(rate).toLocaleString('en-US')} | ${cores.toFixed(2)} | ${Math.round(maxRss)} |`,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stop();
  await broker.stop();
}
