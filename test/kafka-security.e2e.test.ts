// Kafka over TLS and SASL against a real broker (scripts/kafka-local.sh start
// --secure: an SSL listener that requires a client certificate and a SASL_SSL
// listener with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 users): an exactly-once
// copy job gives exactly its input, with the password read on the workers
// from a file or their environment and never in the job graph, the job store,
// `weir status` or the logs; a wrong password and a broker certificate the
// client does not trust fail the job with errors that say so.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaSecretRef, KafkaSecurity } from '@weir/connector-kafka';
import { isJobArtifactModule } from '@weir/common';
import { startKafka, type KafkaBroker } from './helpers/kafka-broker.ts';
import { makeKafkaTls, type KafkaTlsFiles } from './helpers/kafka-tls.ts';
import { readTopic } from './helpers/kafka-topics.ts';
import { logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';

const JOB = 'test/fixtures/kafka-secure-job.ts';
const RECORDS = 300;
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const PASSWORD_ENV = 'WEIR_TEST_KAFKA_PASSWORD';

let work: string;
let tls: KafkaTlsFiles;
let passwordFile: string;
let broker: KafkaBroker;
let cluster: TestCluster;
let admin: Admin;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'weir-kafka-security-'));
  tls = await makeKafkaTls(join(work, 'tls'), { weir: PASSWORD });
  passwordFile = join(work, 'kafka-password');
  await writeFile(passwordFile, `${PASSWORD}\n`);
  [broker, cluster] = await Promise.all([startKafka({ secure: tls.directory }), startCluster({ workers: 2, slots: 4, env: { [PASSWORD_ENV]: PASSWORD } })]);
  admin = new Kafka({ clientId: 'weir-kafka-security-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'items', numPartitions: 3 }], waitForLeaders: true });
  const producer = new Kafka({ clientId: 'weir-kafka-security-producer', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: 'items', messages: Array.from({ length: RECORDS }, (_, id) => ({ key: String(id), value: JSON.stringify({ id }) })) });
  await producer.disconnect();
}, 180_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await admin?.disconnect();
  await Promise.all([cluster?.stop(), broker?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

function saslSsl(mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', password: KafkaSecretRef): KafkaSecurity {
  return { protocol: 'SASL_SSL', sasl: { mechanism, username: 'weir', password }, ssl: { caFile: tls.caFile } };
}

function jobArgs(bootstrap: string, output: string, security: KafkaSecurity): string[] {
  return ['--', '--bootstrap', bootstrap, '--input', 'items', '--output', output, '--security', JSON.stringify(security)];
}

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', JOB, '-d', '--json', ...args]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

/** Every file under `directory` (the coordinator's job store, checkpoints...) whose bytes contain `text`. */
async function filesContaining(directory: string, text: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path).catch(() => Buffer.alloc(0));
    if (bytes.includes(text)) hits.push(path);
  }
  return hits;
}

/** Runs the copy job to its end and checks the output topic holds every input id exactly once (read_committed). */
async function copiesExactly(bootstrap: string, output: string, security: KafkaSecurity): Promise<string> {
  await admin.createTopics({ topics: [{ topic: output, numPartitions: 2 }], waitForLeaders: true });
  const jobId = await submit(jobArgs(bootstrap, output, security));
  const view = await cluster.waitForEnd(jobId, 120_000);
  expect(view.status, view.error ?? '').toBe('FINISHED');
  const ids = (await readTopic(broker.bootstrap, output)).map((m) => (JSON.parse(m.value) as { id: number }).id).sort((a, b) => a - b);
  expect(ids).toEqual(Array.from({ length: RECORDS }, (_, id) => id));
  return jobId;
}

describe('Kafka over SASL_SSL', () => {
  it('copies exactly once with SCRAM-SHA-512, the password from a file, which is nowhere in the job graph, the job store, status or logs', async () => {
    const security = saslSsl('SCRAM-SHA-512', { file: passwordFile });
    const module = ((await import('./fixtures/kafka-secure-job.ts')) as { default: unknown }).default;
    if (!isJobArtifactModule(module)) throw new Error(`${JOB} is not a job module`);
    const graph = JSON.stringify(module.build(jobArgs(broker.saslSsl!, 'out-scram-512', security).slice(1)).graph);
    expect(graph).toContain(passwordFile);
    expect(graph).not.toContain(PASSWORD);

    const jobId = await copiesExactly(broker.saslSsl!, 'out-scram-512', security);
    const status = await cluster.run(['status', jobId, '--json']);
    expect(status.stdout).toContain('FINISHED');
    expect(status.stdout + status.stderr).not.toContain(PASSWORD);
    expect(await filesContaining(cluster.dataDir, PASSWORD)).toEqual([]);
    expect(cluster.log()).not.toContain(PASSWORD);
  });

  it('copies exactly once with SCRAM-SHA-256, the password from the workers environment', async () => {
    await copiesExactly(broker.saslSsl!, 'out-scram-256', saslSsl('SCRAM-SHA-256', { env: PASSWORD_ENV }));
  });

  it('copies exactly once with PLAIN', async () => {
    await copiesExactly(broker.saslSsl!, 'out-plain', saslSsl('PLAIN', { file: passwordFile }));
  });

  it('fails the job on a wrong password, saying authentication failed for that broker and mechanism, without the password', async () => {
    const wrong = join(work, 'wrong-password');
    await writeFile(wrong, 'not-the-password\n');
    await admin.createTopics({ topics: [{ topic: 'out-wrong' }], waitForLeaders: true });
    const jobId = await submit(jobArgs(broker.saslSsl!, 'out-wrong', saslSsl('SCRAM-SHA-256', { file: wrong })));
    const view = await cluster.waitForEnd(jobId, 90_000);
    expect(view.status).toBe('FAILED');
    expect(view.error).toContain(`Kafka authentication failed at broker ${broker.saslSsl} with SASL mechanism SCRAM-SHA-256 for user 'weir'`);
    expect(view.error).toContain(`the password from file ${wrong}`);
    expect(view.error).not.toContain('not-the-password');
  });

  it('fails the job when the password variable is not set on the workers, naming it', async () => {
    const jobId = await submit(jobArgs(broker.saslSsl!, 'out-wrong', saslSsl('PLAIN', { env: 'WEIR_TEST_NO_SUCH_VARIABLE' })));
    const view = await cluster.waitForEnd(jobId, 90_000);
    expect(view.status).toBe('FAILED');
    expect(view.error).toContain('environment variable WEIR_TEST_NO_SUCH_VARIABLE, which is not set on this worker');
  });
});

describe('Kafka over SSL', () => {
  it('copies exactly once with a client certificate', async () => {
    await copiesExactly(broker.ssl!, 'out-ssl', { protocol: 'SSL', ssl: { caFile: tls.caFile, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile } });
  });

  it('refuses a broker certificate the client has no CA for, saying so', async () => {
    for (const ssl of [{ caFile: tls.otherCaFile, certFile: tls.clientCertFile, keyFile: tls.clientKeyFile }, { certFile: tls.clientCertFile, keyFile: tls.clientKeyFile }]) {
      const jobId = await submit(jobArgs(broker.ssl!, 'out-wrong', { protocol: 'SSL', ssl }));
      const view = await cluster.waitForEnd(jobId, 90_000);
      expect(view.status).toBe('FAILED');
      expect(view.error).toContain(`the TLS certificate of Kafka broker ${broker.ssl} is refused`);
      expect(view.error).toContain(ssl.caFile ? `signed by the CA in ${tls.otherCaFile}` : "Node's built-in CAs (no ssl caFile set)");
    }
  });
});
