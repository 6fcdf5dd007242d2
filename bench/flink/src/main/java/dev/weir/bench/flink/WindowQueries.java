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
import org.apache.flink.api.common.functions.CoGroupFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
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

  /** q8's persons: id, name and registration time. */
  public static final class NewPerson {
    public long id;
    public String name;
    public long dateTime;

    public NewPerson() {}
  }

  /** q8, monitor new users: persons (by id) and auctions (by seller) in a window coGroup; a person once per window with an auction. */
  static DataStream<Q8Row> q8(DataStream<Event> events) {
    DataStream<NewPerson> persons = events
        .filter((e) -> e.person != null)
        .name("Persons")
        .map((e) -> {
          NewPerson p = new NewPerson();
          p.id = e.person.id;
          p.name = e.person.name;
          p.dateTime = e.person.dateTime;
          return p;
        })
        .returns(NewPerson.class)
        .name("ProjectPerson");
    DataStream<Long> sellers = events.filter((e) -> e.auction != null).name("Auctions").map((e) -> e.auction.seller).returns(Types.LONG).name("ProjectSeller");
    long size = WINDOW.toMillis();
    return persons
        .coGroup(sellers)
        .where((p) -> p.id, Types.LONG)
        .equalTo((s) -> s, Types.LONG)
        .window(TumblingEventTimeWindows.of(WINDOW))
        .apply(new CoGroupFunction<NewPerson, Long, Q8Row>() {
          @Override
          public void coGroup(Iterable<NewPerson> people, Iterable<Long> sold, Collector<Q8Row> out) {
            if (!sold.iterator().hasNext()) return;
            for (NewPerson p : people) {
              Q8Row r = new Q8Row();
              r.id = p.id;
              r.name = p.name;
              r.windowStart = p.dateTime - Math.floorMod(p.dateTime, size);
              out.collect(r);
            }
          }
        }, TypeInformation.of(Q8Row.class))
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
