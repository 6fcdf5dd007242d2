import type { BuiltJob, OperatorDescriptor } from '@weir/common';
import {
  CountTrigger,
  defineJob,
  EventTimeSessionWindows,
  OutputTag,
  PurgingTrigger,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type JobDefinitionFn,
} from '@weir/sdk';
import { describe, expect, it } from 'vitest';

interface Bid {
  auction: number;
  price: number;
}

function build(fn: JobDefinitionFn): BuiltJob {
  return defineJob(fn).build([], {});
}

function windowOperator(job: BuiltJob): OperatorDescriptor {
  const op = job.graph.vertices.flatMap((v) => v.operators).find((o) => o.kind === 'keyed.window');
  if (!op) throw new Error('no window operator');
  return op;
}

const count = { createAccumulator: () => 0, add: (_: Bid, n: number) => n + 1, getResult: (n: number) => n };

describe('WindowedStream', () => {
  it('compiles to a keyed.window operator after a hash edge, with the assigner, trigger, lateness and late tag as config', () => {
    const late = new OutputTag<Bid>('late-bids');
    const job = build((env) => {
      const counts = env
        .fromElements<Bid>({ auction: 1, price: 5 })
        .keyBy((b) => b.auction)
        .window(SlidingEventTimeWindows.of(10_000, 2_000))
        .allowedLateness(500)
        .sideOutputLateData(late)
        .aggregate(count, (auction, ctx, [n], out) => out.collect({ auction, n, end: ctx.window.end }));
      counts.discard();
      counts.getSideOutput(late).discard();
    });
    const op = windowOperator(job);
    expect(op.config).toEqual({
      assigner: { kind: 'sliding-event-time', sizeMs: 10_000, slideMs: 2_000, offsetMs: 0 },
      trigger: { kind: 'event-time', purge: false },
      allowedLatenessMs: 500,
      lateTag: 'late-bids',
    });
    expect(op.name).toBe('Window(SlidingEventTimeWindows(10000, 2000), EventTimeTrigger, Aggregate+Process)');
    const fn = job.functions.get(op.fn!) as Record<string, unknown>;
    expect(Object.keys(fn).sort()).toEqual(['aggregate', 'process']);
    const windowVertex = job.graph.vertices.find((v) => v.operators[0]!.kind === 'keyed.window')!;
    expect(job.graph.edges.find((e) => e.target === windowVertex.id)).toMatchObject({ partitioning: 'hash' });
    expect(job.graph.edges.some((e) => e.sideOutput === 'late-bids')).toBe(true);
  });

  it('countWindow(n) is a global window with a purging count trigger; processing-time windows drop lateness', () => {
    const counted = windowOperator(build((env) => env.fromElements<Bid>().keyBy((b) => b.auction).countWindow(3).reduce((a, b) => ({ ...a, price: a.price + b.price })).discard()));
    expect(counted.config).toMatchObject({ assigner: { kind: 'global' }, trigger: { kind: 'count', count: 3, purge: true } });
    const processing = windowOperator(
      build((env) => env.fromElements<Bid>().keyBy((b) => b.auction).window(TumblingProcessingTimeWindows.of(1000)).allowedLateness(10).process((k, _c, e, out) => out.collect([k, e.length])).discard()),
    );
    expect(processing.config).toMatchObject({ assigner: { kind: 'tumbling-processing-time' }, trigger: { kind: 'processing-time' }, allowedLatenessMs: 0 });
    expect(PurgingTrigger.of(CountTrigger.of(2)).toString()).toBe('PurgingTrigger(CountTrigger(2))');
  });

  it('refuses bad arguments with errors that say what to do', () => {
    expect(() => TumblingEventTimeWindows.of(0)).toThrow(/size must be a number of ms > 0/);
    expect(() => TumblingEventTimeWindows.of(100, 100)).toThrow(/\|offset\| < size/);
    expect(() => CountTrigger.of(0)).toThrow(/>= 1/);
    expect(() => build((env) => env.fromElements<Bid>().keyBy((b) => b.auction).window(TumblingEventTimeWindows.of(10)).allowedLateness(-1))).toThrow(/allowedLateness/);
    expect(() => build((env) => env.fromElements<Bid>().keyBy((b) => b.auction).window(EventTimeSessionWindows.withGap(10)).aggregate(count).discard())).toThrow(
      /needs merge\(a, b\)/,
    );
  });
});
