// Kafka in, keyed counts in RocksDB, Kafka out, exactly once.
//   npx weir run examples/kafka-exactly-once.ts -p 2 -- --brokers 127.0.0.1:9092 --input-topic events --output-topic counts --checkpoint-interval 1000
// Reads JSON records {"key": "...", ...} from the input topic (every
// partition, from the earliest offset), counts per key in keyed state, and
// writes {"key": "...", "count": C} to the output topic in one Kafka
// transaction per checkpoint and subtask, committed when the checkpoint
// completes. A read_committed consumer of the output topic sees each key's
// counts exactly 1..total, once each, whatever fails in between. A record
// that is not JSON goes to the dead letters with its topic, partition and
// offset. `--mode at-least-once` flushes on checkpoints instead of using
// transactions (no duplicates are filtered then).
import { parseArgs } from 'node:util';
import { defineJob, ValueStateDescriptor, RestartStrategies } from '@weir/sdk';
import {
  KafkaDeserializers,
  KafkaRecordSerializer,
  KafkaSerializers,
  KafkaSink,
  KafkaSource,
  OffsetsInitializer,
} from '@weir/connector-kafka';

interface Event {
  key: string;
}

const countState = new ValueStateDescriptor<number>('count', 0);

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      brokers: { type: 'string' },
      'input-topic': { type: 'string' },
      'output-topic': { type: 'string' },
      'checkpoint-interval': { type: 'string' },
      mode: { type: 'string' },
      bounded: { type: 'boolean' },
    },
    strict: true,
  });
  const brokers = values.brokers;
  const input = values['input-topic'];
  const output = values['output-topic'];
  const mode = values.mode ?? 'exactly-once';
  if (!brokers || !input || !output || (mode !== 'exactly-once' && mode !== 'at-least-once')) {
    throw new Error(
      'kafka-exactly-once needs --brokers LIST --input-topic T --output-topic U [--checkpoint-interval MS] [--mode exactly-once|at-least-once] [--bounded]',
    );
  }

  env.setJobName('kafka-exactly-once');
  env.enableCheckpointing(Number(values['checkpoint-interval'] ?? 1000), { mode });
  env.setRestartStrategy(RestartStrategies.exponentialDelay({ maxAttempts: 20, initialBackoffMs: 200, maxBackoffMs: 2000 }));

  const builder = KafkaSource.builder<Event>()
    .setBootstrapServers(brokers)
    .setTopics(input)
    .setGroupId('kafka-exactly-once')
    .setStartingOffsets(OffsetsInitializer.earliest())
    .setValueDeserializer(KafkaDeserializers.json<Event>());
  const source = (values.bounded ? builder.setBounded() : builder).build();

  const sink = KafkaSink.builder<{ key: string; count: number }>()
    .setBootstrapServers(brokers)
    .setRecordSerializer(
      KafkaRecordSerializer.builder<{ key: string; count: number }>()
        .setTopic(output)
        .setKeySerializer((r) => r.key)
        .setValueSerializer(KafkaSerializers.json())
        .build(),
    )
    .setDeliveryGuarantee(mode)
    .setTransactionalIdPrefix('kafka-exactly-once')
    .build();

  env
    .fromSource(source, undefined, 'Events')
    .uid('events')
    .keyBy((e) => e.key)
    .process<{ key: string; count: number }>((event, ctx, out) => {
      const count = ctx.getState(countState);
      const next = (count.value() ?? 0) + 1;
      count.update(next);
      out.collect({ key: event.key, count: next });
    })
    .uid('count')
    .sinkTo(sink)
    .uid('sink');
});
