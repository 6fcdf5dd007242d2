import { ValidationError, validateJobGraph, type BuiltJob } from '@weir/common';
import { AsyncDataStream, AsyncRetryStrategies, defineJob, type JobDefinitionFn } from '@weir/sdk';
import { describe, expect, it } from 'vitest';

function build(fn: JobDefinitionFn): BuiltJob {
  return defineJob(fn).build([], { defaultParallelism: 2 });
}

describe('AsyncDataStream', () => {
  it('adds an async.wait operator with its spec; the timeout handler and retry predicate travel as functions', () => {
    const retryIf = (e: unknown) => e instanceof Error;
    const timeout = () => 'fallback';
    const { graph, functions } = build((env) => {
      const events = env.fromElements('a', 'b').uid('events');
      AsyncDataStream.orderedWait(events, async (r) => r, 500, 50, {
        timeout,
        retry: AsyncRetryStrategies.exponentialBackoff({ maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 100, retryIf }),
      })
        .uid('lookup')
        .onError('dead-letter')
        .discard();
    });
    expect(() => validateJobGraph(graph)).not.toThrow();
    const op = graph.vertices.flatMap((v) => v.operators).find((o) => o.kind === 'async.wait')!;
    expect(op.config).toEqual({
      asyncWait: { mode: 'ordered', timeoutMs: 500, capacity: 50, retry: { maxAttempts: 4, initialDelayMs: 10, multiplier: 2, maxDelayMs: 100 } },
      onError: 'dead-letter',
    });
    expect(functions.get(op.functions!.timeout!)).toBe(timeout);
    expect(functions.get(op.functions!.retryIf!)).toBe(retryIf);
    // It chains with its source like any one-input operator.
    expect(graph.vertices[0]!.operators.map((o) => o.kind)).toEqual(['source.generator', 'async.wait', 'sink.discard']);
  });

  it('refuses bad arguments with what to give instead', () => {
    const attempt = (fn: JobDefinitionFn) => () => build(fn);
    expect(attempt((env) => void AsyncDataStream.unorderedWait(env.fromElements(1), async (r) => r, 0, 10))).toThrow(/unorderedWait\(\) takes a timeout in ms, an integer >= 1, got 0/);
    expect(attempt((env) => void AsyncDataStream.unorderedWait(env.fromElements(1), async (r) => r, 100, 0))).toThrow(/capacity .* from 1 to 100000, got 0/);
    expect(attempt((env) => void AsyncDataStream.orderedWait(env.fromElements(1), 'f' as never, 100, 10))).toThrow(ValidationError);
    expect(() => AsyncRetryStrategies.fixedDelay({ maxAttempts: 0, delayMs: 10 })).toThrow(/maxAttempts >= 1/);
    expect(() => AsyncRetryStrategies.exponentialBackoff({ maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 10 })).toThrow(/maxDelayMs >= initialDelayMs/);
    expect(attempt((env) => void AsyncDataStream.unorderedWait(env.fromElements(1), async (r) => r, 100, 10, { retry: { maxAttempts: 3 } as never }))).toThrow(/AsyncRetryStrategies/);
  });
});
