// The keyed-count job of bench/jobs/keyed-count.ts on Flink: generator -> map
// -> keyBy -> keyed count -> discard, ~100-byte events, 10,000 keys.
package dev.weir.bench.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

final class KeyedCount {
  private KeyedCount() {}

  static final String PADDING = "p".repeat(56);

  public static final class Record {
    public String key;
    public long seq;
    public long ts;
    public String payload;
    public long bucket;

    public Record() {}
  }

  /** Record i: {key: `key-${i % keys}`, seq: i, ts: 1_700_000_000_000 + i, payload}. */
  static GeneratorSource.Generator<Record> generator(long keys) {
    return (i) -> {
      Record r = new Record();
      r.key = "key-" + (i % keys);
      r.seq = i;
      r.ts = 1_700_000_000_000L + i;
      r.payload = PADDING;
      return r;
    };
  }

  static final TypeInformation<Record> TYPE = TypeInformation.of(Record.class);

  static DataStream<Long> job(DataStream<Record> events) {
    return events
        .map((e) -> {
          Record r = new Record();
          r.key = e.key;
          r.seq = e.seq;
          r.ts = e.ts;
          r.payload = e.payload;
          r.bucket = e.seq & 7;
          return r;
        })
        .returns(TYPE)
        .uid("enrich")
        .keyBy((e) -> e.key, Types.STRING)
        .process(new Count())
        .uid("count");
  }

  static final class Count extends KeyedProcessFunction<String, Record, Long> {
    private transient ValueState<Long> count;

    @Override
    public void open(OpenContext context) {
      count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
    }

    @Override
    public void processElement(Record e, Context ctx, Collector<Long> out) throws Exception {
      Long c = count.value();
      long n = (c == null ? 0 : c) + 1;
      count.update(n);
      out.collect(n);
    }
  }
}
