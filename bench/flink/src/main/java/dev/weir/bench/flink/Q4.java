// Nexmark q4 on Flink, average closing price per category, with the semantics
// of bench/nexmark/q4.ts: per auction the highest bid with start <= dateTime
// <= expires, emitted by an event-time timer at the expiry; per category a
// running average, applied in event-time order (expiry, then auction id).
package dev.weir.bench.flink;

import dev.weir.bench.flink.Rows.Q4Row;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

final class Q4 {
  private Q4() {}

  /** An auction (id, dateTime, expires, category) or a bid (auction, price, dateTime). */
  public static final class Side {
    public boolean auction;
    public long id;
    public long dateTime;
    public long expires;
    public long category;
    public long price;

    public Side() {}
  }

  /** An open auction, or its tombstone once closed. */
  public static final class OpenAuction {
    public boolean closed;
    public long start;
    public long expires;
    public long category;
    /** The highest valid bid so far; -1 when none. */
    public long max;

    public OpenAuction() {}
  }

  /** A bid seen before its auction. */
  public static final class EarlyBid {
    public long dateTime;
    public long price;

    public EarlyBid() {}
  }

  public static final class Closing {
    public long auction;
    public long category;
    public long price;
    public long expires;

    public Closing() {}
  }

  public static final class Totals {
    public long count;
    public long sum;

    public Totals() {}
  }

  static DataStream<Q4Row> q4(DataStream<Event> events) {
    DataStream<Closing> closings = events
        .filter((e) -> e.person == null)
        .name("AuctionsAndBids")
        .map((e) -> {
          Side s = new Side();
          if (e.auction != null) {
            s.auction = true;
            s.id = e.auction.id;
            s.dateTime = e.auction.dateTime;
            s.expires = e.auction.expires;
            s.category = e.auction.category;
          } else {
            s.id = e.bid.auction;
            s.price = e.bid.price;
            s.dateTime = e.bid.dateTime;
          }
          return s;
        })
        .returns(Side.class)
        .name("Project")
        .keyBy((s) -> s.id, Types.LONG)
        .process(new ClosingPrice())
        .uid("q4-closing-price")
        .name("ClosingPrice");
    return closings.keyBy((c) -> c.category, Types.LONG).process(new AveragePerCategory()).uid("q4-average").name("AveragePerCategory");
  }

  static final class ClosingPrice extends KeyedProcessFunction<Long, Side, Closing> {
    private transient ValueState<OpenAuction> auction;
    private transient ListState<EarlyBid> earlyBids;

    @Override
    public void open(OpenContext context) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", OpenAuction.class));
      earlyBids = getRuntimeContext().getListState(new ListStateDescriptor<>("early-bids", EarlyBid.class));
    }

    @Override
    public void processElement(Side side, Context ctx, Collector<Closing> out) throws Exception {
      OpenAuction current = auction.value();
      if (current != null && current.closed) return;
      if (side.auction) {
        long max = -1;
        Iterable<EarlyBid> early = earlyBids.get();
        if (early != null) {
          for (EarlyBid b : early) if (b.dateTime >= side.dateTime && b.dateTime <= side.expires && b.price > max) max = b.price;
        }
        earlyBids.clear();
        OpenAuction open = new OpenAuction();
        open.start = side.dateTime;
        open.expires = side.expires;
        open.category = side.category;
        open.max = max;
        auction.update(open);
        ctx.timerService().registerEventTimeTimer(side.expires);
      } else if (current == null) {
        EarlyBid b = new EarlyBid();
        b.dateTime = side.dateTime;
        b.price = side.price;
        earlyBids.add(b);
      } else if (side.dateTime >= current.start && side.dateTime <= current.expires && side.price > current.max) {
        current.max = side.price;
        auction.update(current);
      }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Closing> out) throws Exception {
      OpenAuction current = auction.value();
      if (current == null || current.closed) return;
      if (current.max >= 0) {
        Closing c = new Closing();
        c.auction = ctx.getCurrentKey();
        c.category = current.category;
        c.price = current.max;
        c.expires = current.expires;
        out.collect(c);
      }
      OpenAuction tombstone = new OpenAuction();
      tombstone.closed = true;
      auction.update(tombstone);
    }
  }

  static final class AveragePerCategory extends KeyedProcessFunction<Long, Closing, Q4Row> {
    private transient ListState<Closing> pending;
    private transient ValueState<Totals> totals;

    @Override
    public void open(OpenContext context) {
      pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending-closings", Closing.class));
      totals = getRuntimeContext().getState(new ValueStateDescriptor<>("totals", Totals.class));
    }

    @Override
    public void processElement(Closing closing, Context ctx, Collector<Q4Row> out) throws Exception {
      pending.add(closing);
      ctx.timerService().registerEventTimeTimer(closing.expires);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Q4Row> out) throws Exception {
      List<Closing> due = DueClosings.take(pending, timestamp, (c) -> c.expires, (c) -> c.auction);
      if (due.isEmpty()) return;
      Totals total = totals.value();
      if (total == null) total = new Totals();
      for (Closing c : due) {
        total.count++;
        total.sum += c.price;
        Q4Row r = new Q4Row();
        r.category = c.category;
        r.auctions = total.count;
        r.average = (double) total.sum / total.count;
        out.collect(r);
      }
      totals.update(total);
    }
  }
}
