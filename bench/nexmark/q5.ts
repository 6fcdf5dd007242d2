// Nexmark q5, hot items: per sliding window (10 s, every 2 s) the auction(s)
// with the most bids. Stage 1 counts bids per auction and window; its results
// carry the window's last ms as event time, so stage 2 (keyed by window end,
// tumbling windows of the slide) sees exactly one sliding window's counts per
// window and keeps the maximum, with ties.
//   npx weir run bench/nexmark/q5.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, SlidingEventTimeWindows, TumblingEventTimeWindows, type AggregateFunction, type TimeWindow } from '@weir/sdk';
import type { Bid } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { SLIDE_MS, WINDOW_MS, type Q5Row } from './results.ts';

const countBids: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_auction, count) => count + 1,
  getResult: (count) => count,
  merge: (a, b) => a + b,
};

/** The rows with the highest count (all of them on a tie). */
const topCounts: AggregateFunction<Q5Row, Q5Row[], Q5Row[]> = {
  createAccumulator: () => [],
  add(row, top) {
    if (top.length === 0 || row.count > top[0]!.count) return [row];
    if (row.count === top[0]!.count) top.push(row);
    return top;
  },
  getResult: (top) => top,
};

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q5');
  const counts = nexmarkSource(env, 'q5', args)
    .filter((e) => e.type === 'bid')
    .name('Bids')
    .map((e) => (e as Bid).auction)
    .name('Auction')
    .keyBy((auction) => auction)
    .window<TimeWindow>(SlidingEventTimeWindows.of(WINDOW_MS, SLIDE_MS))
    .aggregate<number, number, Q5Row>(countBids, (auction: number, ctx, [count], out) => {
      out.collect({ auction, count: count!, windowStart: ctx.window.start, windowEnd: ctx.window.end });
    })
    .uid('q5-count')
    .name('BidsPerAuction');
  const rows = counts
    .keyBy((row) => row.windowEnd)
    .window<TimeWindow>(TumblingEventTimeWindows.of(SLIDE_MS))
    .aggregate<Q5Row[], Q5Row[], Q5Row>(topCounts, (_end, _ctx, [top], out) => {
      for (const row of top!) out.collect(row);
    })
    .uid('q5-max')
    .name('HottestAuctions');
  nexmarkSink(rows, args);
});
