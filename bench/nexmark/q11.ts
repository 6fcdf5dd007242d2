// Nexmark q11, user sessions: per bidder session (gap 10 s), the number of
// bids, the session's start (first bid) and end (last bid + gap).
//   npx weir run bench/nexmark/q11.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, EventTimeSessionWindows, type AggregateFunction, type TimeWindow } from '@weir/sdk';
import type { Bid } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { SESSION_GAP_MS, type Q11Row } from './results.ts';

const countBids: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_bidder, count) => count + 1,
  getResult: (count) => count,
  merge: (a, b) => a + b,
};

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q11');
  const rows = nexmarkSource(env, 'q11', args)
    .filter((e) => e.type === 'bid')
    .name('Bids')
    .map((e) => (e as Bid).bidder)
    .name('Bidder')
    .keyBy((bidder) => bidder)
    .window<TimeWindow>(EventTimeSessionWindows.withGap(SESSION_GAP_MS))
    .aggregate<number, number, Q11Row>(countBids, (bidder: number, ctx, [count], out) => {
      out.collect({ bidder, count: count!, start: ctx.window.start, end: ctx.window.end });
    })
    .uid('q11-sessions')
    .name('BidderSessions');
  nexmarkSink(rows, args);
});
