// A deterministic Nexmark event generator (our own code, after Nexmark's
// public definition of persons, auctions and bids).
//
// Event n is a pure function of (n, config): its kind follows from n mod 50
// (0 a person, 1-3 an auction, 4-49 a bid), its ids from n, and its random
// choices from a small PRNG seeded with n. So any subtask can generate any
// event, and a generator source replays exactly from a checkpoint (its state
// is just the next event number).
//
// Every event a bid or an auction refers to (its auction, bidder, seller) was
// generated at a smaller event number, so it has an earlier or equal dateTime.

/** How events are spread over event time. */
export interface NexmarkConfig {
  /** Events per second of event time: event n is at baseTime + n / rate seconds. Default 10,000. */
  readonly rate: number;
  /** dateTime of event 0, in ms since the epoch. */
  readonly baseTime: number;
}

export const DEFAULT_NEXMARK_CONFIG: NexmarkConfig = { rate: 10_000, baseTime: 1_700_000_000_000 };

export interface Person {
  type: 'person';
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  type: 'auction';
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  type: 'bid';
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;

export const PROPORTION_DENOMINATOR = 50;
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
export const NUM_CATEGORIES = 5;
/** Hot auctions, bidders and sellers are multiples of this (base-0 ids). */
export const HOT_RATIO = 100;
/** A non-hot bid goes to one of this many most recent auctions. */
export const IN_FLIGHT_AUCTIONS = 100;
/** A non-hot bidder or seller is one of this many most recent people. */
export const ACTIVE_PEOPLE = 1000;
/** Average sizes (Beam's sizeInBytes: 8 per number, length + 1 per string) that `extra` pads to. */
export const AVERAGE_SIZE = { person: 200, auction: 500, bid: 100 } as const;

export const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'] as const;
const CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

// --- PRNG: mulberry32, reseeded per event from a murmur3 finalizer of n ---

let prngState = 0;

function seed(n: number): void {
  let h = (n >>> 0) ^ Math.imul(Math.floor(n / 4294967296) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  prngState = (h ^ (h >>> 16)) | 0;
}

function nextU32(): number {
  prngState = (prngState + 0x6d2b79f5) | 0;
  let t = Math.imul(prngState ^ (prngState >>> 15), 1 | prngState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

/** Uniform in [0, 1). */
function nextDouble(): number {
  return nextU32() / 4294967296;
}

/** Uniform integer in [0, bound). */
function nextInt(bound: number): number {
  return Math.floor(nextDouble() * bound);
}

// Random text is cut from a fixed pseudo-random pool of lowercase letters
// (cheap: a slice per string instead of a PRNG call per character).
const POOL = (() => {
  const saved = prngState;
  seed(0x4e45584d);
  let text = '';
  for (let i = 0; i < 8192; i++) text += String.fromCharCode(97 + nextInt(26));
  prngState = saved;
  return text;
})();

function nextString(length: number): string {
  const start = nextInt(POOL.length - length);
  return POOL.slice(start, start + length);
}

/** `extra`: pads a record of `currentSize` to `desiredAverage` on average (±20% of the padding). */
function nextExtra(currentSize: number, desiredAverage: number): string {
  if (currentSize > desiredAverage) return '';
  const desired = desiredAverage - currentSize;
  const delta = Math.round(desired * 0.2);
  return nextString(desired - delta + nextInt(2 * delta + 1));
}

/** Prices in cents: 10^(6u) dollars for uniform u, so 1 to 1,000,000 dollars, log-uniform. */
function nextPrice(): number {
  return Math.round(Math.pow(10, nextDouble() * 6) * 100);
}

// --- ids and time ---

/** dateTime of event n: baseTime + floor(n * 1e6 / rate) µs, in whole ms (integer division, as Beam's long arithmetic). */
export function eventTime(n: number, config: NexmarkConfig): number {
  return config.baseTime + Math.floor(Math.floor((n * 1e6) / config.rate) / 1000);
}

/** The kind of event n. */
export function eventKind(n: number): NexmarkEvent['type'] {
  const offset = n % PROPORTION_DENOMINATOR;
  return offset < PERSON_PROPORTION ? 'person' : offset < PERSON_PROPORTION + AUCTION_PROPORTION ? 'auction' : 'bid';
}

/** Base-0 id of the newest person at or before event n. */
function lastBase0PersonId(n: number): number {
  return Math.floor(n / PROPORTION_DENOMINATOR) * PERSON_PROPORTION;
}

/** Base-0 id of the newest auction at or before event n (-1 before the first). */
function lastBase0AuctionId(n: number): number {
  const epoch = Math.floor(n / PROPORTION_DENOMINATOR);
  const offset = n % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) return epoch * AUCTION_PROPORTION - 1;
  if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) return epoch * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
  return epoch * AUCTION_PROPORTION + offset - PERSON_PROPORTION;
}

/** One of the ACTIVE_PEOPLE most recent people (base 0). */
function recentPerson(n: number): number {
  const people = lastBase0PersonId(n) + 1;
  const active = Math.min(people, ACTIVE_PEOPLE);
  return people - active + nextInt(active);
}

// --- events ---

function person(n: number, dateTime: number): Person {
  const name = `${FIRST_NAMES[nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[nextInt(LAST_NAMES.length)]}`;
  const emailAddress = `${nextString(7)}@${nextString(5)}.com`;
  const creditCard = `${1000 + nextInt(9000)} ${1000 + nextInt(9000)} ${1000 + nextInt(9000)} ${1000 + nextInt(9000)}`;
  const city = CITIES[nextInt(CITIES.length)]!;
  const state = US_STATES[nextInt(US_STATES.length)]!;
  const size = 8 + name.length + 1 + emailAddress.length + 1 + creditCard.length + 1 + city.length + 1 + state.length + 1 + 8 + 1;
  return {
    type: 'person',
    id: FIRST_PERSON_ID + lastBase0PersonId(n),
    name,
    emailAddress,
    creditCard,
    city,
    state,
    dateTime,
    extra: nextExtra(size, AVERAGE_SIZE.person),
  };
}

function auction(n: number, dateTime: number, config: NexmarkConfig): Auction {
  const id = lastBase0AuctionId(n);
  const lastPerson = lastBase0PersonId(n);
  const seller = nextInt(4) > 0 ? Math.floor(lastPerson / HOT_RATIO) * HOT_RATIO : recentPerson(n);
  const itemName = nextString(20);
  const description = nextString(100);
  const initialBid = nextPrice();
  const reserve = initialBid + nextPrice();
  // Open for up to twice the event time in which IN_FLIGHT_AUCTIONS more auctions appear.
  const horizon = eventTime(n + Math.floor((IN_FLIGHT_AUCTIONS * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION), config) - dateTime;
  const expires = dateTime + 1 + nextInt(Math.max(2 * horizon, 1));
  const size = 8 + itemName.length + 1 + description.length + 1 + 8 * 6 + 1;
  return {
    type: 'auction',
    id: FIRST_AUCTION_ID + id,
    itemName,
    description,
    initialBid,
    reserve,
    dateTime,
    expires,
    seller: FIRST_PERSON_ID + seller,
    category: FIRST_CATEGORY_ID + nextInt(NUM_CATEGORIES),
    extra: nextExtra(size, AVERAGE_SIZE.auction),
  };
}

function bid(n: number, dateTime: number): Bid {
  const lastAuction = lastBase0AuctionId(n);
  let auctionId: number;
  if (nextInt(2) === 0) {
    auctionId = Math.floor(lastAuction / HOT_RATIO) * HOT_RATIO;
  } else {
    const min = Math.max(lastAuction - IN_FLIGHT_AUCTIONS, 0);
    auctionId = min + nextInt(lastAuction - min + 1);
  }
  const bidder = nextInt(4) > 0 ? Math.floor(lastBase0PersonId(n) / HOT_RATIO) * HOT_RATIO : recentPerson(n);
  const price = nextPrice();
  const channel = CHANNELS[nextInt(CHANNELS.length)]!;
  const url = `https://www.nexmark.com/${nextString(5)}/item.htm?query=1`;
  const size = 8 * 4 + channel.length + 1 + url.length + 1 + 1;
  return {
    type: 'bid',
    auction: FIRST_AUCTION_ID + auctionId,
    bidder: FIRST_PERSON_ID + bidder,
    price,
    channel,
    url,
    dateTime,
    extra: nextExtra(size, AVERAGE_SIZE.bid),
  };
}

/** Nexmark event number `n` (an integer >= 0). The same (n, config) always gives the same event. */
export function nexmarkEvent(n: number, config: NexmarkConfig = DEFAULT_NEXMARK_CONFIG): NexmarkEvent {
  seed(n);
  const dateTime = eventTime(n, config);
  const offset = n % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) return person(n, dateTime);
  if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) return auction(n, dateTime, config);
  return bid(n, dateTime);
}

/** An event's size as Beam counts it: 8 bytes per number, length + 1 per string (the `type` tag not counted). */
export function eventSize(event: NexmarkEvent): number {
  let size = 0;
  for (const [field, value] of Object.entries(event)) {
    if (field === 'type') continue;
    size += typeof value === 'number' ? 8 : String(value).length + 1;
  }
  return size;
}
