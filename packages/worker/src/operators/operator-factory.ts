import type { ChainedOperator, Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { fileSink } from './file-sink.ts';
import { kafkaSink } from './kafka/kafka-sink.ts';
import { transactionalFileSink } from './transactional-file-sink.ts';
import { fileSource } from './file-source.ts';
import { generatorSource } from './generator-source.ts';
import { kafkaSource } from './kafka/kafka-source.ts';
import { keyedProcessOperator } from './keyed-process.ts';
import { keyedReduceOperator } from './keyed-reduce.ts';
import { discardSink, forEachSink, stdoutSink } from './simple-sinks.ts';
import { timestampsOperator } from './timestamps-operator.ts';
import { windowOperator } from './window/window-operator.ts';
import { filterOperator, flatMapOperator, mapOperator, passThroughOperator } from './stateless-operators.ts';

/** Builds the source operator at the head of a source task. */
export function createSource(ctx: OperatorContext, next: Emit): SourceOperator {
  switch (ctx.descriptor.kind) {
    case 'source.generator':
      return generatorSource(ctx, next);
    case 'source.file':
      return fileSource(ctx, next);
    case 'source.kafka':
      return kafkaSource(ctx, next);
    default:
      throw new Error(`operator kind ${ctx.descriptor.kind} is not a source`);
  }
}

/** Builds one non-source operator of a chain. */
export function createOperator(ctx: OperatorContext, next: Emit, state: () => KeyedStateBackend): ChainedOperator {
  switch (ctx.descriptor.kind) {
    case 'map':
      return mapOperator(ctx, next);
    case 'filter':
      return filterOperator(ctx, next);
    case 'flatMap':
      return flatMapOperator(ctx, next);
    case 'union':
      return passThroughOperator(ctx, next);
    case 'keyed.reduce':
      return keyedReduceOperator(ctx, next, state());
    case 'keyed.process':
      return keyedProcessOperator(ctx, next, state());
    case 'sink.file':
      return ctx.checkpointing ? transactionalFileSink(ctx) : fileSink(ctx);
    case 'sink.stdout':
      return stdoutSink();
    case 'sink.discard':
      return discardSink();
    case 'sink.forEach':
      return forEachSink(ctx);
    case 'sink.kafka':
      return kafkaSink(ctx);
    case 'keyed.window':
      return windowOperator(ctx, next, state());
    case 'timestamps':
      return timestampsOperator(ctx, next);
    case 'source.generator':
    case 'source.kafka':
    case 'source.file':
      throw new Error(`source ${ctx.descriptor.kind} can only head a chain`);
  }
}
