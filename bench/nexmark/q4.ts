// Nexmark q4, average closing price per category.
//
// Stage 1, keyed by auction id: the auction's start, expiry and category, and
// the highest bid with start <= dateTime <= expires. An event-time timer at
// the expiry emits the closing price (auctions without a valid bid close
// without one). Bids that arrive before their auction (they come from other
// source splits) wait in a list; bids after the close find a tombstone.
// Stage 2, keyed by category: the running average of closing prices, one row
// per closed auction. Closings are buffered and applied in event-time order
// (expiry, then auction id) by timers, so every run emits the same rows.
//   npx weir run bench/nexmark/q4.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, ListStateDescriptor, ValueStateDescriptor } from '@weir/sdk';
import { bufferClosing, dueClosings } from './closings.ts';
import type { Bid } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import type { Q4Row } from './results.ts';

type Side = { kind: 'auction'; id: number; dateTime: number; expires: number; category: number } | { kind: 'bid'; auction: number; price: number; dateTime: number };
interface OpenAuction {
  start: number;
  expires: number;
  category: number;
  /** The highest valid bid so far; -1 when none. */
  max: number;
}
interface Closing {
  auction: number;
  category: number;
  price: number;
  expires: number;
}

const auctionState = new ValueStateDescriptor<OpenAuction | 'closed'>('auction');
/** [dateTime, price] of bids seen before their auction. */
const earlyBids = new ListStateDescriptor<[number, number]>('early-bids');
const pendingClosings = new ListStateDescriptor<Closing>('pending-closings');
const totals = new ValueStateDescriptor<{ count: number; sum: number }>('totals');

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q4');
  const sides = nexmarkSource(env, 'q4', args)
    .filter((e) => e.type !== 'person')
    .name('AuctionsAndBids')
    .map((e): Side => {
      if (e.type === 'auction') return { kind: 'auction', id: e.id, dateTime: e.dateTime, expires: e.expires, category: e.category };
      const b = e as Bid;
      return { kind: 'bid', auction: b.auction, price: b.price, dateTime: b.dateTime };
    })
    .name('Project');

  const closings = sides
    .keyBy((s) => (s.kind === 'auction' ? s.id : s.auction))
    .process<Closing>({
      processElement(side, ctx) {
        const state = ctx.getState(auctionState);
        const current = state.value();
        if (current === 'closed') return;
        if (side.kind === 'auction') {
          let max = -1;
          const early = ctx.getListState(earlyBids);
          for (const [dateTime, price] of early.get()) if (dateTime >= side.dateTime && dateTime <= side.expires && price > max) max = price;
          early.clear();
          state.update({ start: side.dateTime, expires: side.expires, category: side.category, max });
          ctx.timerService().registerEventTimeTimer(side.expires);
        } else if (current === undefined) {
          ctx.getListState(earlyBids).add([side.dateTime, side.price]);
        } else if (side.dateTime >= current.start && side.dateTime <= current.expires && side.price > current.max) {
          state.update({ ...current, max: side.price });
        }
      },
      onTimer(timestamp, ctx, out) {
        const state = ctx.getState(auctionState);
        const current = state.value();
        if (current === undefined || current === 'closed') return;
        if (current.max >= 0) out.collect({ auction: ctx.currentKey as number, category: current.category, price: current.max, expires: current.expires });
        state.update('closed');
      },
    })
    .uid('q4-closing-price')
    .name('ClosingPrice');

  const rows = closings
    .keyBy((c) => c.category)
    .process<Q4Row>({
      processElement(closing, ctx) {
        bufferClosing(ctx.getListState(pendingClosings), closing, ctx);
      },
      onTimer(timestamp, ctx, out) {
        const due = dueClosings(ctx.getListState(pendingClosings), timestamp);
        if (due.length === 0) return;
        const total = ctx.getState(totals);
        let { count, sum } = total.value() ?? { count: 0, sum: 0 };
        for (const c of due) {
          count++;
          sum += c.price;
          out.collect({ category: c.category, auctions: count, average: sum / count });
        }
        total.update({ count, sum });
      },
    })
    .uid('q4-average')
    .name('AveragePerCategory');
  nexmarkSink(rows, args);
});

