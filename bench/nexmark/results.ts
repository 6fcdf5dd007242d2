// The result rows of the Nexmark queries, as the jobs write them (one JSON
// line each) and the reference computes them.
import type { Bid } from './generator.ts';

/** q0: the bid itself. */
export type Q0Row = Bid;

/** q1: the bid with its price in euros. */
export interface Q1Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** q2: selected bids. */
export interface Q2Row {
  auction: number;
  price: number;
}

/** q3: an auction in category 10 whose seller lives in OR, ID or CA. */
export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}

/** q4: per category, the running average of closing prices after each auction closed (in order of expiry, then auction id). */
export interface Q4Row {
  category: number;
  /** How many closed auctions (with at least one valid bid) the average is over. */
  auctions: number;
  average: number;
}

/** q6: a seller's average selling price (rounded) over their last 10 closed auctions, after each one closed. */
export interface Q6Row {
  seller: number;
  price: number;
}

/** q5: per sliding window, the auction(s) with the most bids. */
export interface Q5Row {
  auction: number;
  count: number;
  windowStart: number;
  windowEnd: number;
}

/** q7: per tumbling window, the bid(s) with the highest price. */
export interface Q7Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  windowEnd: number;
}

/** q8: people who registered and opened an auction in the same tumbling window. */
export interface Q8Row {
  id: number;
  name: string;
  windowStart: number;
}

/** q9 (and q6's input): an auction with its winning bid. */
export interface Q9Row {
  id: number;
  seller: number;
  category: number;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  bidder: number;
  price: number;
  bidDateTime: number;
}

/** q11: per bidder session, the number of bids; end = last bid + gap (Flink's SESSION_END). */
export interface Q11Row {
  bidder: number;
  count: number;
  start: number;
  end: number;
}

/** Window sizes of the windowed queries. */
export const WINDOW_MS = 10_000;
export const SLIDE_MS = 2_000;
export const SESSION_GAP_MS = 10_000;
/** q4 and q3 categories and states. */
export const Q3_CATEGORY = 10;
export const Q3_STATES: readonly string[] = ['OR', 'ID', 'CA'];
export const EURO_PER_DOLLAR = 0.908;
/** q6 averages over a seller's last this many closed auctions. */
export const Q6_AUCTIONS = 10;
