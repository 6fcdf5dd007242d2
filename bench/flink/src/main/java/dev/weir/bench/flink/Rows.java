// The result rows of the Nexmark queries (bench/nexmark/results.ts), as Flink
// POJOs; toJson() writes the JSON line Weir's file sink writes for the same row.
package dev.weir.bench.flink;

import java.util.ArrayList;
import java.util.List;

public final class Rows {
  private Rows() {}

  /** A row the output sink can write. */
  public interface Row {
    String toJson();
  }

  /** q0 writes the bids themselves. */
  public static final class Q0Row implements Row {
    public Event event;

    public Q0Row() {}

    Q0Row(Event event) {
      this.event = event;
    }

    @Override
    public String toJson() {
      return event.toJson();
    }
  }

  public static final class Q1Row implements Row {
    public long auction;
    public long bidder;
    public double price;
    public long dateTime;
    public String extra;

    public Q1Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(160).append('{');
      Json.field(out, "auction", auction);
      Json.field(out, "bidder", bidder);
      Json.field(out, "price", price);
      Json.field(out, "dateTime", dateTime);
      return Json.field(out, "extra", extra).append('}').toString();
    }
  }

  public static final class Q2Row implements Row {
    public long auction;
    public long price;

    public Q2Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(48).append('{');
      Json.field(out, "auction", auction);
      return Json.field(out, "price", price).append('}').toString();
    }
  }

  public static final class Q3Row implements Row {
    public String name;
    public String city;
    public String state;
    public long id;

    public Q3Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(96).append('{');
      Json.field(out, "name", name);
      Json.field(out, "city", city);
      Json.field(out, "state", state);
      return Json.field(out, "id", id).append('}').toString();
    }
  }

  public static final class Q4Row implements Row {
    public long category;
    public long auctions;
    public double average;

    public Q4Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(64).append('{');
      Json.field(out, "category", category);
      Json.field(out, "auctions", auctions);
      return Json.field(out, "average", average).append('}').toString();
    }
  }

  public static final class Q5Row implements Row {
    public long auction;
    public long count;
    public long windowStart;
    public long windowEnd;

    public Q5Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(96).append('{');
      Json.field(out, "auction", auction);
      Json.field(out, "count", count);
      Json.field(out, "windowStart", windowStart);
      return Json.field(out, "windowEnd", windowEnd).append('}').toString();
    }
  }

  /** q5's top counts of one window (all of them on a tie). */
  public static final class Q5Top {
    public List<Q5Row> rows = new ArrayList<>();

    public Q5Top() {}
  }

  /** A bid in q7's partial tops. */
  public static final class Q7Bid {
    public long auction;
    public long bidder;
    public long price;
    public long dateTime;

    public Q7Bid() {}
  }

  /** q7's top bids (all of them on a tie). */
  public static final class Q7Top {
    public List<Q7Bid> bids = new ArrayList<>();

    public Q7Top() {}
  }

  /** q7 stage 1's result: one partial group's top bids of a window. */
  public static final class Q7Partial {
    public long windowEnd;
    public List<Q7Bid> bids;

    public Q7Partial() {}
  }

  public static final class Q7Row implements Row {
    public long auction;
    public long bidder;
    public long price;
    public long dateTime;
    public long windowEnd;

    public Q7Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(112).append('{');
      Json.field(out, "auction", auction);
      Json.field(out, "bidder", bidder);
      Json.field(out, "price", price);
      Json.field(out, "dateTime", dateTime);
      return Json.field(out, "windowEnd", windowEnd).append('}').toString();
    }
  }

  public static final class Q8Row implements Row {
    public long id;
    public String name;
    public long windowStart;

    public Q8Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(64).append('{');
      Json.field(out, "id", id);
      Json.field(out, "name", name);
      return Json.field(out, "windowStart", windowStart).append('}').toString();
    }
  }

  public static final class Q6Row implements Row {
    public long seller;
    public long price;

    public Q6Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(48).append('{');
      Json.field(out, "seller", seller);
      return Json.field(out, "price", price).append('}').toString();
    }
  }

  public static final class Q9Row implements Row {
    public long id;
    public long seller;
    public long category;
    public long initialBid;
    public long reserve;
    public long dateTime;
    public long expires;
    public long bidder;
    public long price;
    public long bidDateTime;

    public Q9Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(224).append('{');
      Json.field(out, "id", id);
      Json.field(out, "seller", seller);
      Json.field(out, "category", category);
      Json.field(out, "initialBid", initialBid);
      Json.field(out, "reserve", reserve);
      Json.field(out, "dateTime", dateTime);
      Json.field(out, "expires", expires);
      Json.field(out, "bidder", bidder);
      Json.field(out, "price", price);
      return Json.field(out, "bidDateTime", bidDateTime).append('}').toString();
    }
  }

  public static final class Q11Row implements Row {
    public long bidder;
    public long count;
    public long start;
    public long end;

    public Q11Row() {}

    @Override
    public String toJson() {
      StringBuilder out = new StringBuilder(80).append('{');
      Json.field(out, "bidder", bidder);
      Json.field(out, "count", count);
      Json.field(out, "start", start);
      return Json.field(out, "end", end).append('}').toString();
    }
  }
}
