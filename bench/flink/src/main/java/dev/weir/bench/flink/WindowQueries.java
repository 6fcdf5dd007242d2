// Nexmark q5, q7, q8 and q11 on Flink, with the windows and semantics of
// bench/nexmark/q5.ts, q7.ts, q8.ts and q11.ts (the watermarks, dateTime - 4 s
// per split, come from the source: see Main).
package dev.weir.bench.flink;

import dev.weir.bench.flink.Rows.Q11Row;
import dev.weir.bench.flink.Rows.Q5Row;
import dev.weir.bench.flink.Rows.Q5Top;
import dev.weir.bench.flink.Rows.Q7Bid;
import dev.weir.bench.flink.Rows.Q7Partial;
import dev.weir.bench.flink.Rows.Q7Row;
import dev.weir.bench.flink.Rows.Q7Top;
import dev.weir.bench.flink.Rows.Q8Row;
import java.time.Duration;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.EventTimeSessionWindows;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

final class WindowQueries {
  private WindowQueries() {}

  static final Duration WINDOW = Duration.ofMillis(10_000);
  static final Duration SLIDE = Duration.ofMillis(2_000);
  static final Duration SESSION_GAP = Duration.ofMillis(10_000);
  static final int PARTIAL_GROUPS = 256;

  /** Counts elements (bids per auction, per bidder). */
  static final class Count implements AggregateFunction<Long, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(Long value, Long count) {
      return count + 1;
    }

    @Override
    public Long getResult(Long count) {
      return count;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  /** q5, hot items: per sliding window (10 s every 2 s), the auction(s) with the most bids. */
  static DataStream<Q5Row> q5(DataStream<Event> events) {
    DataStream<Q5Row> counts = events
        .filter((e) -> e.bid != null)
        .name("Bids")
        .map((e) -> e.bid.auction)
        .returns(Types.LONG)
        .name("Auction")
        .keyBy((a) -> a, Types.LONG)
        .window(SlidingEventTimeWindows.of(WINDOW, SLIDE))
        .aggregate(new Count(), new ProcessWindowFunction<Long, Q5Row, Long, TimeWindow>() {
          @Override
          public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Q5Row> out) {
            Q5Row r = new Q5Row();
            r.auction = auction;
            r.count = counts.iterator().next();
            r.windowStart = ctx.window().getStart();
            r.windowEnd = ctx.window().getEnd();
            out.collect(r);
          }
        })
        .uid("q5-count")
        .name("BidsPerAuction");
    return counts
        .keyBy((r) -> r.windowEnd, Types.LONG)
        .window(TumblingEventTimeWindows.of(SLIDE))
        .aggregate(new AggregateFunction<Q5Row, Q5Top, Q5Top>() {
          @Override
          public Q5Top createAccumulator() {
            return new Q5Top();
          }

          @Override
          public Q5Top add(Q5Row row, Q5Top top) {
            if (top.rows.isEmpty() || row.count > top.rows.get(0).count) top.rows.clear();
            if (top.rows.isEmpty() || row.count == top.rows.get(0).count) top.rows.add(row);
            return top;
          }

          @Override
          public Q5Top getResult(Q5Top top) {
            return top;
          }

          @Override
          public Q5Top merge(Q5Top a, Q5Top b) {
            throw new UnsupportedOperationException("tumbling windows do not merge");
          }
        }, new ProcessWindowFunction<Q5Top, Q5Row, Long, TimeWindow>() {
          @Override
          public void process(Long end, Context ctx, Iterable<Q5Top> tops, Collector<Q5Row> out) {
            for (Q5Row r : tops.iterator().next().rows) out.collect(r);
          }
        })
        .uid("q5-max")
        .name("HottestAuctions");
  }

  /** Keeps the bids with the highest price. */
  static Q7Top addBid(Q7Bid bid, Q7Top top) {
    if (top.bids.isEmpty() || bid.price > top.bids.get(0).price) top.bids.clear();
    if (top.bids.isEmpty() || bid.price == top.bids.get(0).price) top.bids.add(bid);
    return top;
  }

  /** q7, highest bid: per tumbling 10 s window, the bid(s) with the highest price, in 256 partial groups then per window. */
  static DataStream<Q7Row> q7(DataStream<Event> events) {
    DataStream<Q7Partial> partials = events
        .filter((e) -> e.bid != null)
        .name("Bids")
        .map((e) -> {
          Q7Bid b = new Q7Bid();
          b.auction = e.bid.auction;
          b.bidder = e.bid.bidder;
          b.price = e.bid.price;
          b.dateTime = e.bid.dateTime;
          return b;
        })
        .returns(Q7Bid.class)
        .name("Project")
        .keyBy((b) -> b.price % PARTIAL_GROUPS, Types.LONG)
        .window(TumblingEventTimeWindows.of(WINDOW))
        .aggregate(new TopAggregate<Q7Bid>() {
          @Override
          public Q7Top add(Q7Bid bid, Q7Top top) {
            return addBid(bid, top);
          }
        }, new ProcessWindowFunction<Q7Top, Q7Partial, Long, TimeWindow>() {
          @Override
          public void process(Long group, Context ctx, Iterable<Q7Top> tops, Collector<Q7Partial> out) {
            Q7Partial p = new Q7Partial();
            p.windowEnd = ctx.window().getEnd();
            p.bids = tops.iterator().next().bids;
            out.collect(p);
          }
        })
        .uid("q7-partial-max")
        .name("PartialMax");
    return partials
        .keyBy((p) -> p.windowEnd, Types.LONG)
        .window(TumblingEventTimeWindows.of(WINDOW))
        .aggregate(new TopAggregate<Q7Partial>() {
          @Override
          public Q7Top add(Q7Partial partial, Q7Top top) {
            Q7Top result = top;
            for (Q7Bid b : partial.bids) result = addBid(b, result);
            return result;
          }
        }, new ProcessWindowFunction<Q7Top, Q7Row, Long, TimeWindow>() {
          @Override
          public void process(Long windowEnd, Context ctx, Iterable<Q7Top> tops, Collector<Q7Row> out) {
            for (Q7Bid b : tops.iterator().next().bids) {
              Q7Row r = new Q7Row();
              r.auction = b.auction;
              r.bidder = b.bidder;
              r.price = b.price;
              r.dateTime = b.dateTime;
              r.windowEnd = windowEnd;
              out.collect(r);
            }
          }
        })
        .uid("q7-max")
        .name("HighestBids");
  }

  /** q7's aggregates: the top bids of a tumbling window. */
  abstract static class TopAggregate<T> implements AggregateFunction<T, Q7Top, Q7Top> {
    @Override
    public Q7Top createAccumulator() {
      return new Q7Top();
    }

    @Override
    public Q7Top getResult(Q7Top top) {
      return top;
    }

    @Override
    public Q7Top merge(Q7Top a, Q7Top b) {
      throw new UnsupportedOperationException("tumbling windows do not merge");
    }
  }

  /** q8's input: a registration (with the name) or an auction opened by the person (name null). */
  public static final class Activity {
    public long person;
    public String name;

    public Activity() {}
  }

  /** q8's accumulator: the person's name once registered, and whether they sold. */
  public static final class Seen {
    public String name;
    public boolean sold;

    public Seen() {}
  }

  /** q8, monitor new users: people who registered and opened an auction in the same tumbling 10 s window. */
  static DataStream<Q8Row> q8(DataStream<Event> events) {
    return events
        .filter((e) -> e.bid == null)
        .name("PersonsAndAuctions")
        .map((e) -> {
          Activity a = new Activity();
          if (e.person != null) {
            a.person = e.person.id;
            a.name = e.person.name;
          } else {
            a.person = e.auction.seller;
          }
          return a;
        })
        .returns(Activity.class)
        .name("Project")
        .keyBy((a) -> a.person, Types.LONG)
        .window(TumblingEventTimeWindows.of(WINDOW))
        .aggregate(new AggregateFunction<Activity, Seen, Seen>() {
          @Override
          public Seen createAccumulator() {
            return new Seen();
          }

          @Override
          public Seen add(Activity activity, Seen seen) {
            if (activity.name == null) seen.sold = true;
            else seen.name = activity.name;
            return seen;
          }

          @Override
          public Seen getResult(Seen seen) {
            return seen;
          }

          @Override
          public Seen merge(Seen a, Seen b) {
            throw new UnsupportedOperationException("tumbling windows do not merge");
          }
        }, new ProcessWindowFunction<Seen, Q8Row, Long, TimeWindow>() {
          @Override
          public void process(Long id, Context ctx, Iterable<Seen> seens, Collector<Q8Row> out) {
            Seen seen = seens.iterator().next();
            if (seen.name == null || !seen.sold) return;
            Q8Row r = new Q8Row();
            r.id = id;
            r.name = seen.name;
            r.windowStart = ctx.window().getStart();
            out.collect(r);
          }
        })
        .uid("q8-join")
        .name("NewSellers");
  }

  /** q11, user sessions: per bidder session (gap 10 s), the number of bids, start and end (last bid + gap). */
  static DataStream<Q11Row> q11(DataStream<Event> events) {
    return events
        .filter((e) -> e.bid != null)
        .name("Bids")
        .map((e) -> e.bid.bidder)
        .returns(Types.LONG)
        .name("Bidder")
        .keyBy((b) -> b, Types.LONG)
        .window(EventTimeSessionWindows.withGap(SESSION_GAP))
        .aggregate(new Count(), new ProcessWindowFunction<Long, Q11Row, Long, TimeWindow>() {
          @Override
          public void process(Long bidder, Context ctx, Iterable<Long> counts, Collector<Q11Row> out) {
            Q11Row r = new Q11Row();
            r.bidder = bidder;
            r.count = counts.iterator().next();
            r.start = ctx.window().getStart();
            r.end = ctx.window().getEnd();
            out.collect(r);
          }
        })
        .uid("q11-sessions")
        .name("BidderSessions");
  }
}
