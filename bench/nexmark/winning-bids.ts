// Nexmark's winning bids (the core of q9 and q6): each auction joined with its
// bids, keyed by auction id in a keyed co-process. A bid is valid when
// auction.dateTime <= bid.dateTime < auction.expires and its price is at
// least the reserve; the winner is the highest price, then the earliest bid
// (then the lowest bidder, so every run picks the same). An event-time timer at
// the expiry emits the auction with its winner (nothing without a valid bid).
// Bids that arrive before their auction (other source splits) wait in a list;
// a closed auction keeps a small tombstone, so later bids are dropped.
import { ListStateDescriptor, ValueStateDescriptor, type DataStream } from '@weir/sdk';
import type { Auction, NexmarkEvent } from './generator.ts';
import type { Q9Row } from './results.ts';

interface OpenAuction {
  row: Q9Row;
  /** Whether `row` holds a winner yet. */
  won: boolean;
}
interface BidSide {
  auction: number;
  price: number;
  bidder: number;
  dateTime: number;
}
type EarlyBid = [dateTime: number, price: number, bidder: number];

const auctionState = new ValueStateDescriptor<OpenAuction | 'closed'>('auction');
const earlyBids = new ListStateDescriptor<EarlyBid>('early-bids');

/** Takes the bid into `open` when it is valid and beats the current winner. */
function offer(open: OpenAuction, dateTime: number, price: number, bidder: number): boolean {
  const row = open.row;
  if (dateTime < row.dateTime || dateTime >= row.expires || price < row.reserve) return false;
  if (open.won && (price < row.price || (price === row.price && (dateTime > row.bidDateTime || (dateTime === row.bidDateTime && bidder >= row.bidder))))) return false;
  row.price = price;
  row.bidDateTime = dateTime;
  row.bidder = bidder;
  open.won = true;
  return true;
}

/** Every auction with its winning bid, emitted at the auction's expiry (event time). */
export function winningBids(events: DataStream<NexmarkEvent>, uid: string): DataStream<Q9Row> {
  // Projected in one map chained to the source (an operator with two consumers ends its chain),
  // so the two sides split after it and get small records, without the events' padding.
  const projected = events
    .filter((e) => e.type !== 'person')
    .name('AuctionsAndBids')
    .map((e): Q9Row | BidSide => {
      if (e.type === 'bid') return { auction: e.auction, price: e.price, bidder: e.bidder, dateTime: e.dateTime };
      const a = e as Auction;
      return { id: a.id, seller: a.seller, category: a.category, initialBid: a.initialBid, reserve: a.reserve, dateTime: a.dateTime, expires: a.expires, bidder: -1, price: -1, bidDateTime: -1 };
    })
    .name('Project');
  // Filters that narrow the stream's type (the cast is type-only).
  const auctions = projected.filter((p) => 'expires' in p).name('Auctions') as unknown as DataStream<Q9Row>;
  const bids = projected.filter((p) => !('expires' in p)).name('Bids') as unknown as DataStream<BidSide>;
  return auctions
    .keyBy((a) => a.id)
    .connect(bids.keyBy((b) => b.auction))
    .process<Q9Row>({
      processElement1(row, ctx) {
        const state = ctx.getState(auctionState);
        if (state.value() === 'closed') return;
        const open: OpenAuction = { row, won: false };
        const early = ctx.getListState(earlyBids);
        for (const [dateTime, price, bidder] of early.get()) offer(open, dateTime, price, bidder);
        early.clear();
        state.update(open);
        ctx.timerService().registerEventTimeTimer(row.expires);
      },
      processElement2(bid, ctx) {
        const state = ctx.getState(auctionState);
        const open = state.value();
        if (open === 'closed') return;
        if (open === undefined) ctx.getListState(earlyBids).add([bid.dateTime, bid.price, bid.bidder]);
        else if (offer(open, bid.dateTime, bid.price, bid.bidder)) state.update(open);
      },
      onTimer(_timestamp, ctx, out) {
        const state = ctx.getState(auctionState);
        const open = state.value();
        if (open === undefined || open === 'closed') return;
        if (open.won) out.collect(open.row);
        state.update('closed');
      },
    })
    .uid(uid)
    .name('WinningBids');
}
