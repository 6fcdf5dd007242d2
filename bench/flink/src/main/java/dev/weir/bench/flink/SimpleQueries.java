// Nexmark q0, q1, q2 and q3 on Flink, with the semantics of bench/nexmark/q0.ts ... q3.ts.
package dev.weir.bench.flink;

import dev.weir.bench.flink.Rows.Q0Row;
import dev.weir.bench.flink.Rows.Q1Row;
import dev.weir.bench.flink.Rows.Q2Row;
import dev.weir.bench.flink.Rows.Q3Row;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

final class SimpleQueries {
  private SimpleQueries() {}

  static final double EURO_PER_DOLLAR = 0.908;
  static final long Q3_CATEGORY = 10;
  static final Set<String> Q3_STATES = Set.of("OR", "ID", "CA");

  /** q0, pass-through: every bid, unchanged. */
  static DataStream<Q0Row> q0(DataStream<Event> events) {
    return events.filter((e) -> e.bid != null).name("Bids").map(Q0Row::new).returns(Q0Row.class).name("Bid");
  }

  /** q1, currency conversion: each bid with its price in euros. */
  static DataStream<Q1Row> q1(DataStream<Event> events) {
    return events
        .filter((e) -> e.bid != null)
        .name("Bids")
        .map((e) -> {
          Q1Row r = new Q1Row();
          r.auction = e.bid.auction;
          r.bidder = e.bid.bidder;
          r.price = EURO_PER_DOLLAR * e.bid.price;
          r.dateTime = e.bid.dateTime;
          r.extra = e.bid.extra;
          return r;
        })
        .returns(Q1Row.class)
        .name("ToEuro");
  }

  /** q2, selection: auction and price of the bids whose auction mod 123 = 0. */
  static DataStream<Q2Row> q2(DataStream<Event> events) {
    return events
        .filter((e) -> e.bid != null && e.bid.auction % 123 == 0)
        .name("Select")
        .map((e) -> {
          Q2Row r = new Q2Row();
          r.auction = e.bid.auction;
          r.price = e.bid.price;
          return r;
        })
        .returns(Q2Row.class)
        .name("Project");
  }

  /** q3's persons: id, name, city, state. */
  public static final class Seller {
    public long id;
    public String name;
    public String city;
    public String state;

    public Seller() {}
  }

  /** q3's auctions: id and seller. */
  public static final class SoldAuction {
    public long id;
    public long seller;

    public SoldAuction() {}
  }

  /** q3, incremental join: persons (OR, ID, CA) by id connected with auctions (category 10) by seller, in a keyed co-process. */
  static DataStream<Q3Row> q3(DataStream<Event> events) {
    DataStream<Seller> sellers = events
        .filter((e) -> e.person != null && Q3_STATES.contains(e.person.state))
        .name("PersonsInStates")
        .map((e) -> {
          Seller p = new Seller();
          p.id = e.person.id;
          p.name = e.person.name;
          p.city = e.person.city;
          p.state = e.person.state;
          return p;
        })
        .returns(Seller.class)
        .name("ProjectPerson");
    DataStream<SoldAuction> auctions = events
        .filter((e) -> e.auction != null && e.auction.category == Q3_CATEGORY)
        .name("AuctionsInCategory")
        .map((e) -> {
          SoldAuction a = new SoldAuction();
          a.id = e.auction.id;
          a.seller = e.auction.seller;
          return a;
        })
        .returns(SoldAuction.class)
        .name("ProjectAuction");
    return sellers
        .keyBy((p) -> p.id, Types.LONG)
        .connect(auctions.keyBy((a) -> a.seller, Types.LONG))
        .process(new Join())
        .uid("q3-join")
        .name("JoinPersonAuction");
  }

  /** Keeps a person once seen; an auction that arrives before its seller waits in a list. */
  static final class Join extends KeyedCoProcessFunction<Long, Seller, SoldAuction, Q3Row> {
    private transient ValueState<Q3Row> seller;
    private transient ListState<Long> waiting;

    @Override
    public void open(OpenContext context) {
      seller = getRuntimeContext().getState(new ValueStateDescriptor<>("seller", Q3Row.class));
      waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting-auctions", Types.LONG));
    }

    @Override
    public void processElement1(Seller p, Context ctx, Collector<Q3Row> out) throws Exception {
      Q3Row person = new Q3Row();
      person.name = p.name;
      person.city = p.city;
      person.state = p.state;
      seller.update(person);
      Iterable<Long> ids = waiting.get();
      if (ids != null) for (Long id : ids) out.collect(row(person, id));
      waiting.clear();
    }

    @Override
    public void processElement2(SoldAuction auction, Context ctx, Collector<Q3Row> out) throws Exception {
      Q3Row person = seller.value();
      if (person != null) out.collect(row(person, auction.id));
      else waiting.add(auction.id);
    }

    private static Q3Row row(Q3Row person, long id) {
      Q3Row r = new Q3Row();
      r.name = person.name;
      r.city = person.city;
      r.state = person.state;
      r.id = id;
      return r;
    }
  }
}
