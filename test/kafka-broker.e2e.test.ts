// The development broker: scripts/kafka-local.sh starts a real Apache Kafka
// (KRaft) from its Maven Central jars, and a kafkajs client uses it.
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from './helpers/kafka-broker.ts';

let broker: KafkaBroker | undefined;

beforeAll(async () => {
  broker = await startKafka();
}, 120_000);

afterAll(async () => {
  await broker?.stop();
});

describe('scripts/kafka-local.sh', () => {
  it('serves produce and consume on the printed bootstrap address, and stop removes exactly its run dir', async () => {
    const kafka = new Kafka({ clientId: 'weir-test', brokers: [broker!.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'smoke', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 7}`, value: JSON.stringify({ i }) })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'weir-test' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'smoke', fromBeginning: true });
    const seen = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed only ${seen.size} of 100 messages`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.add((JSON.parse(message.value!.toString()) as { i: number }).i);
          if (seen.size === 100) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));

    const directory = broker!.directory;
    await broker!.stop();
    broker = undefined;
    expect(existsSync(directory)).toBe(false);
  });
});
