// Single-threaded reference results of the Nexmark queries, with plain loops
// and Maps over the generated events, in event-time semantics. The input is
// bounded, so every window fires and every auction closes (as at the end of
// a bounded job, when event time runs out). The e2e test compares the jobs'
// output with these, as multisets of rows.
import { nexmarkEvent, type Auction, type Bid, type NexmarkConfig, type NexmarkEvent, type Person } from './generator.ts';
import {
  EURO_PER_DOLLAR,
  Q3_CATEGORY,
  Q6_AUCTIONS,
  Q3_STATES,
  SESSION_GAP_MS,
  SLIDE_MS,
  WINDOW_MS,
  type Q0Row,
  type Q11Row,
  type Q1Row,
  type Q2Row,
  type Q3Row,
  type Q4Row,
  type Q5Row,
  type Q6Row,
  type Q7Row,
  type Q8Row,
  type Q9Row,
} from './results.ts';

export type QueryName = 'q0' | 'q1' | 'q2' | 'q3' | 'q4' | 'q5' | 'q6' | 'q7' | 'q8' | 'q9' | 'q11';
export const QUERIES: readonly QueryName[] = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q11'];
/** Other jobs of the same queries (bench/nexmark/<name>.ts), with the query whose rows they give. */
export const VARIANTS: Readonly<Record<string, QueryName>> = { 'q3-union': 'q3', 'q8-union': 'q8' };

/** Events 0..count-1. */
export function generateEvents(count: number, config: NexmarkConfig): NexmarkEvent[] {
  const events: NexmarkEvent[] = [];
  for (let n = 0; n < count; n++) events.push(nexmarkEvent(n, config));
  return events;
}

function split(events: readonly NexmarkEvent[]): { persons: Person[]; auctions: Auction[]; bids: Bid[] } {
  const persons: Person[] = [];
  const auctions: Auction[] = [];
  const bids: Bid[] = [];
  for (const e of events) {
    if (e.type === 'person') persons.push(e);
    else if (e.type === 'auction') auctions.push(e);
    else bids.push(e);
  }
  return { persons, auctions, bids };
}

/** Start of the tumbling window of `size` that holds `t`. */
function windowStart(t: number, size: number): number {
  return t - (((t % size) + size) % size);
}

export function q0(events: readonly NexmarkEvent[]): Q0Row[] {
  return split(events).bids;
}

export function q1(events: readonly NexmarkEvent[]): Q1Row[] {
  return split(events).bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: EURO_PER_DOLLAR * b.price, dateTime: b.dateTime, extra: b.extra }));
}

export function q2(events: readonly NexmarkEvent[]): Q2Row[] {
  return split(events)
    .bids.filter((b) => b.auction % 123 === 0)
    .map((b) => ({ auction: b.auction, price: b.price }));
}

export function q3(events: readonly NexmarkEvent[]): Q3Row[] {
  const { persons, auctions } = split(events);
  const byId = new Map(persons.map((p) => [p.id, p]));
  const rows: Q3Row[] = [];
  for (const a of auctions) {
    if (a.category !== Q3_CATEGORY) continue;
    const p = byId.get(a.seller);
    if (p && Q3_STATES.includes(p.state)) rows.push({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
  return rows;
}

export function q4(events: readonly NexmarkEvent[]): Q4Row[] {
  const { auctions, bids } = split(events);
  const byId = new Map(auctions.map((a) => [a.id, a]));
  const winning = new Map<number, number>();
  for (const b of bids) {
    const a = byId.get(b.auction);
    if (!a || b.dateTime < a.dateTime || b.dateTime > a.expires) continue;
    winning.set(a.id, Math.max(winning.get(a.id) ?? -1, b.price));
  }
  const closed = auctions.filter((a) => winning.has(a.id)).sort((x, y) => x.expires - y.expires || x.id - y.id);
  const totals = new Map<number, { count: number; sum: number }>();
  const rows: Q4Row[] = [];
  for (const a of closed) {
    const t = totals.get(a.category) ?? { count: 0, sum: 0 };
    t.count++;
    t.sum += winning.get(a.id)!;
    totals.set(a.category, t);
    rows.push({ category: a.category, auctions: t.count, average: t.sum / t.count });
  }
  return rows;
}

export function q5(events: readonly NexmarkEvent[]): Q5Row[] {
  // window start -> auction -> bids
  const counts = new Map<number, Map<number, number>>();
  for (const b of split(events).bids) {
    for (let start = windowStart(b.dateTime, SLIDE_MS); start > b.dateTime - WINDOW_MS; start -= SLIDE_MS) {
      const perAuction = counts.get(start) ?? new Map<number, number>();
      perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
      counts.set(start, perAuction);
    }
  }
  const rows: Q5Row[] = [];
  for (const [start, perAuction] of counts) {
    const max = Math.max(...perAuction.values());
    for (const [auction, count] of perAuction) if (count === max) rows.push({ auction, count, windowStart: start, windowEnd: start + WINDOW_MS });
  }
  return rows;
}

/** Each auction with its winning bid: valid bids have auction.dateTime <= dateTime < expires and price >= reserve; highest price, then earliest, then lowest bidder. */
export function q9(events: readonly NexmarkEvent[]): Q9Row[] {
  const { auctions, bids } = split(events);
  const byId = new Map(auctions.map((a) => [a.id, a]));
  const best = new Map<number, Bid>();
  for (const b of bids) {
    const a = byId.get(b.auction);
    if (!a || b.dateTime < a.dateTime || b.dateTime >= a.expires || b.price < a.reserve) continue;
    const w = best.get(a.id);
    if (!w || b.price > w.price || (b.price === w.price && (b.dateTime < w.dateTime || (b.dateTime === w.dateTime && b.bidder < w.bidder)))) best.set(a.id, b);
  }
  return auctions.flatMap((a) => {
    const b = best.get(a.id);
    if (!b) return [];
    const { id, seller, category, initialBid, reserve, dateTime, expires } = a;
    return [{ id, seller, category, initialBid, reserve, dateTime, expires, bidder: b.bidder, price: b.price, bidDateTime: b.dateTime }];
  });
}

/** Per seller, after each closed auction (in order of expiry, then id), the rounded average price of their last Q6_AUCTIONS. */
export function q6(events: readonly NexmarkEvent[]): Q6Row[] {
  const closed = q9(events).sort((x, y) => x.expires - y.expires || x.id - y.id);
  const last = new Map<number, number[]>();
  const rows: Q6Row[] = [];
  for (const w of closed) {
    const prices = last.get(w.seller) ?? [];
    prices.push(w.price);
    if (prices.length > Q6_AUCTIONS) prices.shift();
    last.set(w.seller, prices);
    rows.push({ seller: w.seller, price: Math.round(prices.reduce((s, p) => s + p, 0) / prices.length) });
  }
  return rows;
}

export function q7(events: readonly NexmarkEvent[]): Q7Row[] {
  const perWindow = new Map<number, Bid[]>();
  for (const b of split(events).bids) {
    const start = windowStart(b.dateTime, WINDOW_MS);
    const top = perWindow.get(start);
    if (!top || b.price > top[0]!.price) perWindow.set(start, [b]);
    else if (b.price === top[0]!.price) top.push(b);
  }
  const rows: Q7Row[] = [];
  for (const [start, top] of perWindow) {
    for (const b of top) rows.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, windowEnd: start + WINDOW_MS });
  }
  return rows;
}

export function q8(events: readonly NexmarkEvent[]): Q8Row[] {
  const { persons, auctions } = split(events);
  const sellers = new Set(auctions.map((a) => `${a.seller}@${windowStart(a.dateTime, WINDOW_MS)}`));
  const rows: Q8Row[] = [];
  for (const p of persons) {
    const start = windowStart(p.dateTime, WINDOW_MS);
    if (sellers.has(`${p.id}@${start}`)) rows.push({ id: p.id, name: p.name, windowStart: start });
  }
  return rows;
}

/**
 * Sessions as Flink's merging session windows make them: each bid opens
 * [t, t + gap), and windows that touch or overlap (start <= other end) merge.
 */
export function q11(events: readonly NexmarkEvent[]): Q11Row[] {
  const times = new Map<number, number[]>();
  for (const b of split(events).bids) {
    const list = times.get(b.bidder) ?? [];
    list.push(b.dateTime);
    times.set(b.bidder, list);
  }
  const rows: Q11Row[] = [];
  for (const [bidder, list] of times) {
    list.sort((a, b) => a - b);
    let start = list[0]!;
    let end = start + SESSION_GAP_MS;
    let count = 0;
    for (const t of list) {
      if (t > end) {
        rows.push({ bidder, count, start, end });
        start = t;
        count = 0;
      }
      end = Math.max(end, t + SESSION_GAP_MS);
      count++;
    }
    rows.push({ bidder, count, start, end });
  }
  return rows;
}

export const REFERENCE: Record<QueryName, (events: readonly NexmarkEvent[]) => object[]> = { q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q11 };
