import { validateJobGraph, type BuiltJob, type JobGraph } from '@weir/common';
import { defineJob, MapStateDescriptor, type JobDefinitionFn } from '@weir/sdk';
import { describe, expect, it } from 'vitest';

function build(fn: JobDefinitionFn): BuiltJob {
  return defineJob(fn).build([], { defaultParallelism: 2 });
}

const vertexOf = (graph: JobGraph, kind: string) => graph.vertices.find((v) => v.operators[0]!.kind === kind)!;

interface Rule {
  kind: string;
  factor: number;
}
const rules = new MapStateDescriptor<string, Rule>('rules');
const limits = new MapStateDescriptor<number, number>('limits', 'number');

describe('broadcast streams', () => {
  it('keyed.connect(stream.broadcast(d)) makes a keyed.broadcastProcess vertex with a hash edge and a broadcast edge into input 1', () => {
    const { graph } = build((env) => {
      const events = env.fromElements({ user: 'u', kind: 'a' }).uid('events');
      const ruleStream = env.fromElements<Rule>({ kind: 'a', factor: 2 }).uid('rules').setParallelism(1);
      events
        .keyBy((e) => e.user)
        .connect(ruleStream.broadcast(rules, limits))
        .process({
          processElement: (e, ctx, out) => out.collect(ctx.getBroadcastState(rules).get(e.kind)?.factor ?? 0),
          processBroadcastElement: (r, ctx) => ctx.getBroadcastState(rules).put(r.kind, r),
        })
        .uid('enrich')
        .print();
      events.connect(ruleStream.broadcast(rules)).process({ processElement: () => undefined, processBroadcastElement: () => undefined }).uid('plain').discard();
    });
    const keyed = vertexOf(graph, 'keyed.broadcastProcess');
    expect(keyed.operators.map((o) => o.kind)).toEqual(['keyed.broadcastProcess', 'sink.stdout']);
    expect(keyed.operators[0]!.config.broadcastStates).toEqual(['rules', 'limits']);
    expect(graph.edges.filter((e) => e.target === keyed.id).map((e) => [e.source, e.partitioning, e.inputIndex])).toEqual([
      ['events', 'hash', undefined],
      ['rules', 'broadcast', 1],
    ]);
    const plain = vertexOf(graph, 'co.broadcastProcess');
    expect(graph.edges.filter((e) => e.target === plain.id).map((e) => [e.source, e.partitioning, e.inputIndex ?? 0])).toEqual([
      ['events', 'forward', 0],
      ['rules', 'broadcast', 1],
    ]);
  });

  it('types the broadcast state read-only in processElement and onTimer, read-write in processBroadcastElement', () => {
    build((env) => {
      env
        .fromElements({ user: 'u', kind: 'a' })
        .keyBy((e) => e.user)
        .connect(env.fromElements<Rule>({ kind: 'a', factor: 2 }).broadcast(rules))
        .process<number>({
          processElement(e, ctx, out) {
            // @ts-expect-error: processElement sees broadcast state read-only
            ctx.getBroadcastState(rules).put(e.kind, { kind: e.kind, factor: 1 });
            out.collect(ctx.getBroadcastState(rules).get(e.kind)?.factor ?? 0);
          },
          processBroadcastElement(r, ctx) {
            ctx.getBroadcastState(rules).put(r.kind, r);
            ctx.applyToKeyedState(new MapStateDescriptor<string, number>('per-kind'), (user: string, state) => state.put(user, 0));
          },
          onTimer(_t, ctx) {
            // @ts-expect-error: onTimer sees broadcast state read-only
            ctx.getBroadcastState(rules).clear();
          },
        })
        .discard();
    });
  });

  it('plain broadcast() still returns a DataStream with a broadcast edge', () => {
    const { graph } = build((env) => {
      env.fromElements(1).uid('s').broadcast().map((x) => x).uid('m').discard();
    });
    expect(graph.edges.find((e) => e.target === 'm')?.partitioning).toBe('broadcast');
  });

  it('refuses bad descriptors and functions with errors that say what to do', () => {
    expect(() => build((env) => void env.fromElements(1).broadcast({ kind: 'value', name: 'x' } as never))).toThrow(/takes MapStateDescriptors/);
    expect(() => build((env) => void env.fromElements(1).broadcast(new MapStateDescriptor<string, number>('t', 'string', { ttlMs: 10 })))).toThrow(/without a TTL/);
    expect(() => build((env) => void env.fromElements(1).broadcast(rules, new MapStateDescriptor<string, number>('rules')))).toThrow(/two descriptors name/);
    expect(() =>
      build((env) => {
        env.fromElements(1).keyBy((x) => x).connect(env.fromElements(2).broadcast(rules)).process({ processElement: () => undefined } as never);
      }),
    ).toThrow(/processElement, processBroadcastElement, onTimer\?/);
  });

  it('the job graph check refuses a broadcast operator whose second input is not a broadcast edge, or whose keyed input is not keyed', () => {
    const { graph } = build((env) => {
      env.fromElements(1).uid('a').keyBy((x) => x).connect(env.fromElements(2).uid('b').broadcast(rules)).process({ processElement: () => undefined, processBroadcastElement: () => undefined }).uid('k').discard();
    });
    validateJobGraph(graph);
    const notBroadcast = structuredClone(graph);
    notBroadcast.edges.find((e) => e.inputIndex === 1)!.partitioning = 'rebalance';
    expect(() => validateJobGraph(notBroadcast)).toThrow(/must be a broadcast edge/);
    const notKeyed = structuredClone(graph);
    const first = notKeyed.edges.find((e) => e.target === 'k' && e.inputIndex === undefined)!;
    first.partitioning = 'rebalance';
    delete first.keySelector;
    expect(() => validateJobGraph(notKeyed)).toThrow(/must be keyed/);
    const noStates = structuredClone(graph);
    noStates.vertices.find((v) => v.id === 'k')!.operators[0]!.config = {};
    expect(() => validateJobGraph(noStates)).toThrow(/config.broadcastStates/);
  });
});
