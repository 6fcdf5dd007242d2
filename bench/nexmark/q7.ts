// Nexmark q7, highest bid: per tumbling 10 s window, the bid(s) with the
// highest price. Stage 1 keeps the top bids per window in 256 partial groups
// (by price mod 256: no hot key, and the groups split evenly over 2
// subtasks); stage 2, keyed by window end, merges the partial tops. Ties keep
// every bid with the maximum price.
//   npx weir run bench/nexmark/q7.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, TumblingEventTimeWindows, type AggregateFunction, type TimeWindow } from '@weir/sdk';
import type { Bid } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { WINDOW_MS, type Q7Row } from './results.ts';

type Top = Omit<Q7Row, 'windowEnd'>;
interface PartialTop {
  windowEnd: number;
  bids: Top[];
}

const PARTIAL_GROUPS = 256;

/** Keeps the bids with the highest price. */
const topBids: AggregateFunction<Top, Top[], Top[]> = {
  createAccumulator: () => [],
  add(bid, top) {
    if (top.length === 0 || bid.price > top[0]!.price) return [bid];
    if (bid.price === top[0]!.price) top.push(bid);
    return top;
  },
  getResult: (top) => top,
};

/** Merges partial tops of one window. */
const mergeTops: AggregateFunction<PartialTop, Top[], Top[]> = {
  createAccumulator: () => [],
  add(partial, top) {
    let result = top;
    for (const bid of partial.bids) result = topBids.add(bid, result);
    return result;
  },
  getResult: (top) => top,
};

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q7');
  const partials = nexmarkSource(env, 'q7', args)
    .filter((e) => e.type === 'bid')
    .name('Bids')
    .map((e): Top => {
      const b = e as Bid;
      return { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime };
    })
    .name('Project')
    .keyBy((b) => b.price % PARTIAL_GROUPS)
    .window<TimeWindow>(TumblingEventTimeWindows.of(WINDOW_MS))
    .aggregate<Top[], Top[], PartialTop>(topBids, (_group, ctx, [top], out) => {
      out.collect({ windowEnd: ctx.window.end, bids: top! });
    })
    .uid('q7-partial-max')
    .name('PartialMax');
  const rows = partials
    .keyBy((p) => p.windowEnd)
    .window<TimeWindow>(TumblingEventTimeWindows.of(WINDOW_MS))
    .aggregate<Top[], Top[], Q7Row>(mergeTops, (windowEnd: number, _ctx, [top], out) => {
      for (const b of top!) out.collect({ ...b, windowEnd });
    })
    .uid('q7-max')
    .name('HighestBids');
  nexmarkSink(rows, args);
});
