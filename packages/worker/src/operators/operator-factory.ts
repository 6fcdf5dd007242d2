// Builds the operators of a chain by kind; connector kinds are built by the connector registered for them.
import { InvalidJobError } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';
import type { ConnectorRuntime } from '../connectors/connector-runtime.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { connectorRuntimeFor } from '../connectors/connector-registry.ts';
import { fileSink } from './file-sink.ts';
import { transactionalFileSink } from './transactional-file-sink.ts';
import { fileSource } from './file-source.ts';
import { generatorSource } from './generator-source.ts';
import { broadcastProcessOperator, keyedBroadcastProcessOperator } from './broadcast/broadcast-process.ts';
import { keyedCoProcessOperator } from './keyed-co-process.ts';
import { keyedProcessOperator } from './keyed-process.ts';
import { coProcessOperator, processOperator } from './process-operators.ts';
import { keyedReduceOperator } from './keyed-reduce.ts';
import { discardSink, forEachSink, stdoutSink } from './simple-sinks.ts';
import { timestampsOperator } from './timestamps-operator.ts';
import { intervalJoinOperator } from './interval-join.ts';
import { windowOperator } from './window/window-operator.ts';
import { filterOperator, flatMapOperator, mapOperator, passThroughOperator } from './stateless-operators.ts';

/** Builds the source operator at the head of a source task. */
export function createSource(ctx: OperatorContext, next: Emit): SourceOperator {
  switch (ctx.descriptor.kind) {
    case 'source.generator':
      return generatorSource(ctx, next);
    case 'source.file':
      return fileSource(ctx, next);
    case 'source.connector':
      return connectorOperator(ctx, 'source')(ctx, next);
    default:
      throw new InvalidJobError(`operator kind ${ctx.descriptor.kind} is not a source`);
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
    case 'process':
      return processOperator(ctx, next);
    case 'co.process':
      return coProcessOperator(ctx, next);
    case 'keyed.coProcess':
      return keyedCoProcessOperator(ctx, next, state());
    case 'keyed.intervalJoin':
      return intervalJoinOperator(ctx, next, state());
    case 'co.broadcastProcess':
      return broadcastProcessOperator(ctx, next);
    case 'keyed.broadcastProcess':
      return keyedBroadcastProcessOperator(ctx, next, state());
    case 'sink.file':
      return ctx.checkpointing ? transactionalFileSink(ctx) : fileSink(ctx);
    case 'sink.stdout':
      return stdoutSink();
    case 'sink.discard':
      return discardSink();
    case 'sink.forEach':
      return forEachSink(ctx);
    case 'sink.connector':
      return connectorOperator(ctx, 'sink')(ctx);
    case 'keyed.window':
      return windowOperator(ctx, next, state());
    case 'timestamps':
      return timestampsOperator(ctx, next);
    case 'source.generator':
    case 'source.connector':
    case 'source.file':
      throw new InvalidJobError(`source ${ctx.descriptor.kind} can only head a chain`);
  }
}

/** The factory of kind `kind` of the connector `ctx.descriptor` names (registered in this slot thread). */
function connectorOperator<K extends 'source' | 'sink'>(ctx: OperatorContext, kind: K): NonNullable<ConnectorRuntime['operators'][K]> {
  const runtime = connectorRuntimeFor(ctx.descriptor);
  const factory = runtime.operators[kind];
  if (!factory) throw new InvalidJobError(`operator '${ctx.descriptor.name}' (${ctx.descriptor.id}): the '${runtime.name}' connector has no ${kind}; use one of its ${kind === 'source' ? 'sinks' : 'sources'} or another connector`);
  return factory;
}
