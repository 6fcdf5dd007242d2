// Declaring a keyed function's states up front: into the JobGraph as
// metadata, and among the operator's functions for the workers.
import type { BuiltJob, JobGraph } from '@weir/common';
import { defineJob, ListStateDescriptor, ValueStateDescriptor, type JobDefinitionFn } from '@weir/sdk';
import { describe, expect, it } from 'vitest';

function build(fn: JobDefinitionFn): BuiltJob {
  return defineJob(fn).build([], { defaultParallelism: 1 });
}

const operator = (graph: JobGraph, id: string) => graph.vertices.flatMap((v) => v.operators).find((o) => o.id === id)!;

const count = new ValueStateDescriptor<number>('count', 0, { version: 2, migrate: (v) => v, serializer: 'json' });
const seen = new ListStateDescriptor<string>('seen');

describe('declared states', () => {
  it('of keyed process (options or the function object) and keyed co-process reach the JobGraph and the functions', () => {
    const { graph, functions } = build((env) => {
      const a = env.fromElements({ k: 1 }).uid('a');
      const b = env.fromElements({ k: 2 }).uid('b');
      a.keyBy((x) => x.k).process((x, _ctx, out) => out.collect(x), { states: [count, seen] }).uid('p').discard();
      a.keyBy((x) => x.k).process({ states: [seen], processElement: (x, _ctx, out) => out.collect(x) }).uid('q').discard();
      a.keyBy((x) => x.k).connect(b.keyBy((y) => y.k)).process({ states: [count], processElement1: () => undefined, processElement2: () => undefined }).uid('co').discard();
      a.keyBy((x) => x.k).process((x, _ctx, out) => out.collect(x)).uid('lazy').discard();
    });
    expect(operator(graph, 'p').states).toEqual([
      { name: 'count', kind: 'value', serializer: 'json', version: 2, migrates: true },
      { name: 'seen', kind: 'list', serializer: 'msgpack', version: 1 },
    ]);
    expect(operator(graph, 'q').states).toEqual([{ name: 'seen', kind: 'list', serializer: 'msgpack', version: 1 }]);
    expect(operator(graph, 'co').states).toEqual([{ name: 'count', kind: 'value', serializer: 'json', version: 2, migrates: true }]);
    expect(operator(graph, 'lazy').states).toBeUndefined();
    expect(functions.get(operator(graph, 'p').functions!['states']!)).toEqual([count, seen]);
  });

  it('refuses what is not a list of descriptors, and two states of one name', () => {
    const keyed = (states: unknown) => () =>
      build((env) => {
        env.fromElements(1).keyBy((x) => x).process((x, _ctx, out) => out.collect(x), { states } as never).discard();
      });
    expect(keyed(count)).toThrow('keyed process(): states must be an array of state descriptors');
    expect(keyed([{ name: 'x' }])).toThrow('which is not a state descriptor');
    expect(keyed([count, new ValueStateDescriptor('count')])).toThrow("two declared states are named 'count'");
  });
});
