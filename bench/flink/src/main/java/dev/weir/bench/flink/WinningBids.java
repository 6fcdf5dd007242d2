// Nexmark q9 and q6 on Flink, with the semantics of bench/nexmark/winning-bids.ts,
// q9.ts and q6.ts: each auction joined with its bids in a keyed co-process
// (auctions by id, bids by auction); a bid is valid when auction.dateTime <=
// bid.dateTime < expires and price >= reserve; the winner is the highest
// price, then the earliest bid, then the lowest bidder; an event-time timer at
// the expiry emits it. q6: per seller, closings applied in event-time order
// (expiry, then auction id), the rounded average of the last 10 prices.
package dev.weir.bench.flink;

import dev.weir.bench.flink.Rows.Q6Row;
import dev.weir.bench.flink.Rows.Q9Row;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

final class WinningBids {
  private WinningBids() {}

  static final int Q6_AUCTIONS = 10;

  /** q9's bid input. */
  public static final class BidSide {
    public long auction;
    public long price;
    public long bidder;
    public long dateTime;

    public BidSide() {}
  }

  /** An open auction with its winner so far (won), or its tombstone once closed. */
  public static final class OpenAuction {
    public boolean closed;
    public boolean won;
    public Q9Row row;

    public OpenAuction() {}
  }

  /** A bid seen before its auction. */
  public static final class EarlyBid {
    public long dateTime;
    public long price;
    public long bidder;

    public EarlyBid() {}
  }

  /** A closed auction waiting to be applied to its seller's average. */
  public static final class Closing {
    public long auction;
    public long price;
    public long expires;

    public Closing() {}
  }

  /** The seller's last prices, oldest first. */
  public static final class LastPrices {
    public List<Long> prices = new ArrayList<>();

    public LastPrices() {}
  }

  /** q9, winning bids: each auction with its winning bid, emitted at its expiry. */
  static DataStream<Q9Row> q9(DataStream<Event> events) {
    return winningBids(events, "q9-winning-bids");
  }

  static DataStream<Q9Row> winningBids(DataStream<Event> events, String uid) {
    DataStream<Q9Row> auctions = events
        .filter((e) -> e.auction != null)
        .name("Auctions")
        .map((e) -> {
          Q9Row r = new Q9Row();
          r.id = e.auction.id;
          r.seller = e.auction.seller;
          r.category = e.auction.category;
          r.initialBid = e.auction.initialBid;
          r.reserve = e.auction.reserve;
          r.dateTime = e.auction.dateTime;
          r.expires = e.auction.expires;
          r.bidder = -1;
          r.price = -1;
          r.bidDateTime = -1;
          return r;
        })
        .returns(Q9Row.class)
        .name("ProjectAuction");
    DataStream<BidSide> bids = events
        .filter((e) -> e.bid != null)
        .name("Bids")
        .map((e) -> {
          BidSide b = new BidSide();
          b.auction = e.bid.auction;
          b.price = e.bid.price;
          b.bidder = e.bid.bidder;
          b.dateTime = e.bid.dateTime;
          return b;
        })
        .returns(BidSide.class)
        .name("ProjectBid");
    return auctions
        .keyBy((a) -> a.id, Types.LONG)
        .connect(bids.keyBy((b) -> b.auction, Types.LONG))
        .process(new Join())
        .uid(uid)
        .name("WinningBids");
  }

  /** Takes the bid into `open` when it is valid and beats the current winner. */
  static boolean offer(OpenAuction open, long dateTime, long price, long bidder) {
    Q9Row r = open.row;
    if (dateTime < r.dateTime || dateTime >= r.expires || price < r.reserve) return false;
    if (open.won && (price < r.price || (price == r.price && (dateTime > r.bidDateTime || (dateTime == r.bidDateTime && bidder >= r.bidder))))) return false;
    r.price = price;
    r.bidDateTime = dateTime;
    r.bidder = bidder;
    open.won = true;
    return true;
  }

  static final class Join extends KeyedCoProcessFunction<Long, Q9Row, BidSide, Q9Row> {
    private transient ValueState<OpenAuction> auction;
    private transient ListState<EarlyBid> earlyBids;

    @Override
    public void open(OpenContext context) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", OpenAuction.class));
      earlyBids = getRuntimeContext().getListState(new ListStateDescriptor<>("early-bids", EarlyBid.class));
    }

    @Override
    public void processElement1(Q9Row row, Context ctx, Collector<Q9Row> out) throws Exception {
      OpenAuction current = auction.value();
      if (current != null && current.closed) return;
      OpenAuction open = new OpenAuction();
      open.row = row;
      Iterable<EarlyBid> early = earlyBids.get();
      if (early != null) for (EarlyBid b : early) offer(open, b.dateTime, b.price, b.bidder);
      earlyBids.clear();
      auction.update(open);
      ctx.timerService().registerEventTimeTimer(row.expires);
    }

    @Override
    public void processElement2(BidSide bid, Context ctx, Collector<Q9Row> out) throws Exception {
      OpenAuction open = auction.value();
      if (open != null && open.closed) return;
      if (open == null) {
        EarlyBid b = new EarlyBid();
        b.dateTime = bid.dateTime;
        b.price = bid.price;
        b.bidder = bid.bidder;
        earlyBids.add(b);
      } else if (offer(open, bid.dateTime, bid.price, bid.bidder)) {
        auction.update(open);
      }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Q9Row> out) throws Exception {
      OpenAuction open = auction.value();
      if (open == null || open.closed) return;
      if (open.won) out.collect(open.row);
      OpenAuction tombstone = new OpenAuction();
      tombstone.closed = true;
      auction.update(tombstone);
    }
  }

  /** q6, average selling price by seller over their last 10 closed auctions, after each one closed. */
  static DataStream<Q6Row> q6(DataStream<Event> events) {
    return winningBids(events, "q6-winning-bids")
        .keyBy((w) -> w.seller, Types.LONG)
        .process(new AveragePerSeller())
        .uid("q6-average")
        .name("AveragePerSeller");
  }

  static final class AveragePerSeller extends KeyedProcessFunction<Long, Q9Row, Q6Row> {
    private transient ListState<Closing> pending;
    private transient ValueState<LastPrices> last;

    @Override
    public void open(OpenContext context) {
      pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending-closings", Closing.class));
      last = getRuntimeContext().getState(new ValueStateDescriptor<>("last-prices", LastPrices.class));
    }

    @Override
    public void processElement(Q9Row w, Context ctx, Collector<Q6Row> out) throws Exception {
      Closing c = new Closing();
      c.auction = w.id;
      c.price = w.price;
      c.expires = w.expires;
      pending.add(c);
      ctx.timerService().registerEventTimeTimer(w.expires);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Q6Row> out) throws Exception {
      List<Closing> due = DueClosings.take(pending, timestamp, (c) -> c.expires, (c) -> c.auction);
      if (due.isEmpty()) return;
      LastPrices lastPrices = last.value();
      if (lastPrices == null) lastPrices = new LastPrices();
      ArrayDeque<Long> prices = new ArrayDeque<>(lastPrices.prices);
      for (Closing c : due) {
        prices.addLast(c.price);
        if (prices.size() > Q6_AUCTIONS) prices.removeFirst();
        long sum = 0;
        for (long p : prices) sum += p;
        Q6Row r = new Q6Row();
        r.seller = ctx.getCurrentKey();
        r.price = Math.round((double) sum / prices.size());
        out.collect(r);
      }
      lastPrices.prices = new ArrayList<>(prices);
      last.update(lastPrices);
    }
  }
}
