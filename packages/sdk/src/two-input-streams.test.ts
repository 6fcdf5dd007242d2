import { ValidationError, validateJobGraph, type BuiltJob, type JobGraph } from '@weir/common';
import { defineJob, TumblingEventTimeWindows, type JobDefinitionFn } from '@weir/sdk';
import { describe, expect, it } from 'vitest';

function build(fn: JobDefinitionFn): BuiltJob {
  return defineJob(fn).build([], { defaultParallelism: 2 });
}

const vertexOf = (graph: JobGraph, kind: string) => graph.vertices.find((v) => v.operators[0]!.kind === kind)!;

describe('two-input streams', () => {
  it('connect() makes a two-input vertex whose second edge says inputIndex 1; keyed inputs are hash edges with their own selectors', () => {
    const { graph, functions } = build((env) => {
      const a = env.fromElements({ id: 1 }).uid('a');
      const b = env.fromElements({ seller: 1 }).uid('b');
      a.keyBy((x) => x.id)
        .connect(b.keyBy((y) => y.seller))
        .process({ processElement1: () => undefined, processElement2: () => undefined })
        .uid('join')
        .print();
      a.connect(b).map((x) => x.id, (y) => y.seller).uid('co-map').discard();
    });
    const join = vertexOf(graph, 'keyed.coProcess');
    expect(join.operators.map((o) => o.kind)).toEqual(['keyed.coProcess', 'sink.stdout']);
    const edges = graph.edges.filter((e) => e.target === join.id);
    expect(edges.map((e) => [e.source, e.partitioning, e.inputIndex])).toEqual([
      ['a', 'hash', undefined],
      ['b', 'hash', 1],
    ]);
    expect((functions.get(edges[1]!.keySelector!) as (r: unknown) => unknown)({ seller: 7 })).toBe(7);
    const coMap = vertexOf(graph, 'co.process');
    expect(graph.edges.filter((e) => e.target === coMap.id).map((e) => [e.partitioning, e.inputIndex ?? 0])).toEqual([
      ['forward', 0],
      ['forward', 1],
    ]);
  });

  it('refuses a keyed two-input operator with an unkeyed input and a second-input edge into a one-input operator', () => {
    const { graph } = build((env) => {
      const a = env.fromElements(1).uid('a');
      const b = env.fromElements(2).uid('b');
      a.keyBy((x) => x).intervalJoin(b.keyBy((y) => y)).between(-1, 1).process({ processElement: () => undefined }).uid('j').discard();
    });
    const broken = structuredClone(graph);
    const edge = broken.edges.find((e) => e.inputIndex === 1)!;
    edge.partitioning = 'rebalance';
    delete edge.keySelector;
    expect(() => validateJobGraph(broken)).toThrow(/needs both inputs keyed/);
    const single = structuredClone(graph);
    single.edges = single.edges.filter((e) => e.inputIndex !== 1);
    expect(() => validateJobGraph(single)).toThrow(/needs edges into both its inputs/);
  });

  it('checks its arguments with clear errors', () => {
    expect(() =>
      build((env) => {
        const a = env.fromElements(1);
        a.keyBy((x) => x).intervalJoin(env.fromElements(2).keyBy((y) => y)).between(5, 1);
      }),
    ).toThrow(/lowerMs <= upperMs/);
    expect(() =>
      build((env) => {
        const a = env.fromElements(1);
        a.connect(a);
      }),
    ).toThrow(ValidationError);
    expect(() =>
      build((env) => {
        env.fromElements(1).connect(env.fromElements(2)).process({ processElement: () => undefined } as never);
      }),
    ).toThrow(/processElement1, processElement2/);
    expect(() =>
      build((env) => {
        env.fromElements(1).join(env.fromElements(2)).where((x) => x).equalTo((y) => y).window(TumblingEventTimeWindows.of(10)).apply('x' as never);
      }),
    ).toThrow(/JoinFunction/);
  });
});
