// The CPU an idle Kafka client costs: kafkajs with its own RequestQueue timer
// (re-armed every millisecond per connection while nothing is pending) and
// with the connector's mended one (kafkajs-request-queue.ts). Each run is a
// child process that connects a producer and an admin client to a real broker
// (scripts/kafka-local.sh), lets them sit idle, and reports its CPU time.
// Run: npx node bench/kafka-idle-client.ts [--seconds 10] [--rounds 2]
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { installRequestQueueFix } from '@weir/connector-kafka/runtime';
import { startKafka } from '../test/helpers/kafka-broker.ts';
import { machine } from './support/cluster.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' }, child: { type: 'string' }, bootstrap: { type: 'string' } },
});
const seconds = Number(values.seconds);

if (values.child) {
  if (values.child === 'mended') installRequestQueueFix();
  const kafka = new Kafka({ clientId: 'weir-bench-idle', brokers: [values.bootstrap!], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  await admin.listTopics();
  await producer.send({ topic: 'idle', messages: [{ value: 'x' }] }).catch(() => undefined);
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(before);
  await Promise.all([producer.disconnect(), admin.disconnect()]);
  process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000 }));
} else {
  const run = promisify(execFile);
  const broker = await startKafka();
  try {
    const rows: string[] = [];
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const mode of ['kafkajs', 'mended']) {
        const { stdout } = await run(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, '--bootstrap', broker.bootstrap, '--seconds', String(seconds)], {
          env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
        });
        const { cpuMs } = JSON.parse(stdout) as { cpuMs: number };
        rows.push(`| ${round} | ${mode} | ${cpuMs.toFixed(0)} | ${((cpuMs / (seconds * 1000)) * 100).toFixed(2)}% |`);
      }
    }
    process.stdout.write(
      [`Idle Kafka client (producer + admin), ${seconds} s idle per run; ${machine()}`, '', '| round | RequestQueue timer | CPU ms while idle | of one core |', '|---|---|---|---|', ...rows, ''].join('\n'),
    );
  } finally {
    await broker.stop();
  }
}
