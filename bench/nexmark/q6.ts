// Nexmark q6, average selling price by seller: after each closed auction
// (with a winning bid, winning-bids.ts), the seller's average selling price
// over their last 10 closed auctions, rounded to a whole price. Keyed by
// seller, closings are applied in event-time order (closings.ts), so "the
// last 10" and every row are the same in every run.
//   npx weir run bench/nexmark/q6.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, ListStateDescriptor, ValueStateDescriptor } from '@weir/sdk';
import { bufferClosing, dueClosings, type Closing } from './closings.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { Q6_AUCTIONS, type Q6Row } from './results.ts';
import { winningBids } from './winning-bids.ts';

const pendingClosings = new ListStateDescriptor<Closing & { price: number }>('pending-closings');
/** The selling prices of the seller's last Q6_AUCTIONS closed auctions, oldest first. */
const lastPrices = new ValueStateDescriptor<number[]>('last-prices');

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q6');
  const rows = winningBids(nexmarkSource(env, 'q6', args), 'q6-winning-bids')
    .keyBy((w) => w.seller)
    .process<Q6Row>({
      processElement(w, ctx) {
        bufferClosing(ctx.getListState(pendingClosings), { auction: w.id, price: w.price, expires: w.expires }, ctx);
      },
      onTimer(timestamp, ctx, out) {
        const due = dueClosings(ctx.getListState(pendingClosings), timestamp);
        if (due.length === 0) return;
        const last = ctx.getState(lastPrices);
        const prices = last.value() ?? [];
        const seller = ctx.currentKey as number;
        for (const c of due) {
          prices.push(c.price);
          if (prices.length > Q6_AUCTIONS) prices.shift();
          out.collect({ seller, price: Math.round(prices.reduce((s, p) => s + p, 0) / prices.length) });
        }
        last.update(prices);
      },
    })
    .uid('q6-average')
    .name('AveragePerSeller');
  nexmarkSink(rows, args);
});
