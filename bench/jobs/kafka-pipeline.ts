// Benchmark job (bench/kafka-pipeline.ts): Kafka -> map -> Kafka.
// Reads ~100-byte JSON records, adds a field, writes them to the output topic
// with the chosen delivery guarantee (exactly-once: one transaction per
// checkpoint and subtask).
import { parseArgs } from 'node:util';
import { defineJob } from '@weir/sdk';
import { KafkaDeserializers, KafkaRecordSerializer, KafkaSerializers, KafkaSink, KafkaSource } from '@weir/connector-kafka';

interface Event {
  key: string;
  seq: number;
  ts: number;
  payload: string;
}

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      bootstrap: { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
      guarantee: { type: 'string', default: 'exactly-once' },
      'checkpoint-interval': { type: 'string', default: '1000' },
      bounded: { type: 'boolean', default: false },
    },
  });
  const guarantee = values.guarantee as 'exactly-once' | 'at-least-once';
  env.setJobName(`kafka-pipeline-${guarantee}`);
  env.enableCheckpointing(Number(values['checkpoint-interval']), { mode: guarantee });
  const source = KafkaSource.builder<Event>().setBootstrapServers(values.bootstrap!).setTopics(values.input!).setValueDeserializer(KafkaDeserializers.json<Event>());
  if (values.bounded) source.setBounded();
  const sink = KafkaSink.builder<Event & { seen: number }>()
    .setBootstrapServers(values.bootstrap!)
    .setRecordSerializer(KafkaRecordSerializer.builder<Event & { seen: number }>().setTopic(values.output!).setValueSerializer(KafkaSerializers.json()).build())
    .setDeliveryGuarantee(guarantee)
    .setTransactionalIdPrefix(`bench-${guarantee}`)
    .build();
  env
    .fromSource(source.build(), undefined, 'In')
    .uid('in')
    .map((e) => ({ ...e, seen: Date.now() }))
    .uid('map')
    .sinkTo(sink)
    .uid('out');
});
