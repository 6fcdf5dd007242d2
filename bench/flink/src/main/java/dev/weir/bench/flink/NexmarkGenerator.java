// A Java port of bench/nexmark/generator.ts: event n is a pure function of
// (n, rate, baseTime), and the same n gives the same event as the TypeScript
// generator, field for field (bench/flink/check-generator.ts compares them).
//
// JavaScript does its arithmetic in doubles and its bit operations in 32-bit
// integers; so does this port: Math.imul is int multiplication, x >>> 0 an
// unsigned int, Math.floor(a / b) a floor of a double division, Math.pow
// StrictMath.pow (fdlibm, as V8's ieee754::pow).
package dev.weir.bench.flink;

import java.io.Serializable;

public final class NexmarkGenerator implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final double DEFAULT_RATE = 10_000;
  public static final long DEFAULT_BASE_TIME = 1_700_000_000_000L;

  static final int PROPORTION_DENOMINATOR = 50;
  static final int PERSON_PROPORTION = 1;
  static final int AUCTION_PROPORTION = 3;
  static final long FIRST_PERSON_ID = 1000;
  static final long FIRST_AUCTION_ID = 1000;
  static final long FIRST_CATEGORY_ID = 10;
  static final int NUM_CATEGORIES = 5;
  static final long HOT_RATIO = 100;
  static final long IN_FLIGHT_AUCTIONS = 100;
  static final long ACTIVE_PEOPLE = 1000;
  static final int AVERAGE_PERSON = 200;
  static final int AVERAGE_AUCTION = 500;
  static final int AVERAGE_BID = 100;

  static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  static final String[] CITIES = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"};
  static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
  static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  static final String[] CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};

  private static final String POOL = pool();

  /** Events per second of event time. */
  public final double rate;
  /** dateTime of event 0, ms since the epoch. */
  public final long baseTime;
  /** The PRNG state (mulberry32); one generator per thread. */
  private transient int state;

  public NexmarkGenerator(double rate, long baseTime) {
    this.rate = rate;
    this.baseTime = baseTime;
  }

  // --- PRNG: mulberry32, reseeded per event from a murmur3 finalizer of n ---

  private void seed(long n) {
    int h = ((int) n) ^ (((int) (n >>> 32)) * 0x9e3779b1);
    h = (h ^ (h >>> 16)) * 0x85ebca6b;
    h = (h ^ (h >>> 13)) * 0xc2b2ae35;
    state = h ^ (h >>> 16);
  }

  private long nextU32() {
    state = state + 0x6d2b79f5;
    int s = state;
    int t = (s ^ (s >>> 15)) * (1 | s);
    t = (t + ((t ^ (t >>> 7)) * (61 | t))) ^ t;
    return Integer.toUnsignedLong(t ^ (t >>> 14));
  }

  private double nextDouble() {
    return nextU32() / 4294967296.0;
  }

  private long nextInt(long bound) {
    return (long) Math.floor(nextDouble() * bound);
  }

  private static String pool() {
    NexmarkGenerator g = new NexmarkGenerator(DEFAULT_RATE, DEFAULT_BASE_TIME);
    g.seed(0x4e45584d);
    StringBuilder text = new StringBuilder(8192);
    for (int i = 0; i < 8192; i++) text.append((char) (97 + g.nextInt(26)));
    return text.toString();
  }

  private String nextString(int length) {
    int start = (int) nextInt(POOL.length() - length);
    return POOL.substring(start, start + length);
  }

  private String nextExtra(int currentSize, int desiredAverage) {
    if (currentSize > desiredAverage) return "";
    int desired = desiredAverage - currentSize;
    long delta = Math.round(desired * 0.2);
    return nextString((int) (desired - delta + nextInt(2 * delta + 1)));
  }

  private long nextPrice() {
    return Math.round(StrictMath.pow(10, nextDouble() * 6) * 100);
  }

  // --- ids and time ---

  /** dateTime of event n (floor(floor(n * 1e6 / rate) / 1000) ms after baseTime, in doubles as the TypeScript). */
  public long eventTime(long n) {
    return baseTime + (long) Math.floor(Math.floor((n * 1e6) / rate) / 1000);
  }

  private static long lastBase0PersonId(long n) {
    return (n / PROPORTION_DENOMINATOR) * PERSON_PROPORTION;
  }

  private static long lastBase0AuctionId(long n) {
    long epoch = n / PROPORTION_DENOMINATOR;
    long offset = n % PROPORTION_DENOMINATOR;
    if (offset < PERSON_PROPORTION) return epoch * AUCTION_PROPORTION - 1;
    if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) return epoch * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
    return epoch * AUCTION_PROPORTION + offset - PERSON_PROPORTION;
  }

  private long recentPerson(long n) {
    long people = lastBase0PersonId(n) + 1;
    long active = Math.min(people, ACTIVE_PEOPLE);
    return people - active + nextInt(active);
  }

  // --- events ---

  private Event.Person person(long n, long dateTime) {
    Event.Person p = new Event.Person();
    p.name = FIRST_NAMES[(int) nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[(int) nextInt(LAST_NAMES.length)];
    p.emailAddress = nextString(7) + "@" + nextString(5) + ".com";
    p.creditCard = (1000 + nextInt(9000)) + " " + (1000 + nextInt(9000)) + " " + (1000 + nextInt(9000)) + " " + (1000 + nextInt(9000));
    p.city = CITIES[(int) nextInt(CITIES.length)];
    p.state = US_STATES[(int) nextInt(US_STATES.length)];
    int size = 8 + p.name.length() + 1 + p.emailAddress.length() + 1 + p.creditCard.length() + 1 + p.city.length() + 1 + p.state.length() + 1 + 8 + 1;
    p.id = FIRST_PERSON_ID + lastBase0PersonId(n);
    p.dateTime = dateTime;
    p.extra = nextExtra(size, AVERAGE_PERSON);
    return p;
  }

  private Event.Auction auction(long n, long dateTime) {
    Event.Auction a = new Event.Auction();
    long id = lastBase0AuctionId(n);
    long lastPerson = lastBase0PersonId(n);
    long seller = nextInt(4) > 0 ? (lastPerson / HOT_RATIO) * HOT_RATIO : recentPerson(n);
    a.itemName = nextString(20);
    a.description = nextString(100);
    a.initialBid = nextPrice();
    a.reserve = a.initialBid + nextPrice();
    long horizon = eventTime(n + (IN_FLIGHT_AUCTIONS * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION) - dateTime;
    a.expires = dateTime + 1 + nextInt(Math.max(2 * horizon, 1));
    int size = 8 + a.itemName.length() + 1 + a.description.length() + 1 + 8 * 6 + 1;
    a.id = FIRST_AUCTION_ID + id;
    a.dateTime = dateTime;
    a.seller = FIRST_PERSON_ID + seller;
    a.category = FIRST_CATEGORY_ID + nextInt(NUM_CATEGORIES);
    a.extra = nextExtra(size, AVERAGE_AUCTION);
    return a;
  }

  private Event.Bid bid(long n, long dateTime) {
    Event.Bid b = new Event.Bid();
    long lastAuction = lastBase0AuctionId(n);
    long auctionId;
    if (nextInt(2) == 0) {
      auctionId = Math.floorDiv(lastAuction, HOT_RATIO) * HOT_RATIO;
    } else {
      long min = Math.max(lastAuction - IN_FLIGHT_AUCTIONS, 0);
      auctionId = min + nextInt(lastAuction - min + 1);
    }
    long bidder = nextInt(4) > 0 ? (lastBase0PersonId(n) / HOT_RATIO) * HOT_RATIO : recentPerson(n);
    b.price = nextPrice();
    b.channel = CHANNELS[(int) nextInt(CHANNELS.length)];
    b.url = "https://www.nexmark.com/" + nextString(5) + "/item.htm?query=1";
    int size = 8 * 4 + b.channel.length() + 1 + b.url.length() + 1 + 1;
    b.auction = FIRST_AUCTION_ID + auctionId;
    b.bidder = FIRST_PERSON_ID + bidder;
    b.dateTime = dateTime;
    b.extra = nextExtra(size, AVERAGE_BID);
    return b;
  }

  /** Nexmark event number n (n >= 0). Not thread-safe: one generator per thread. */
  public Event event(long n) {
    seed(n);
    long dateTime = eventTime(n);
    long offset = n % PROPORTION_DENOMINATOR;
    Event e = new Event();
    if (offset < PERSON_PROPORTION) e.person = person(n, dateTime);
    else if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) e.auction = auction(n, dateTime);
    else e.bid = bid(n, dateTime);
    return e;
  }
}
