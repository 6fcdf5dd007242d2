// Runs one Nexmark query (or keyed-count) on a Flink MiniCluster with 2
// TaskManagers, the settings of Weir's benchmarks: parallelism 2, keyed state
// in RocksDB (EmbeddedRocksDBStateBackend), exactly-once checkpoints, and
// object reuse (chained operators pass records on without copying them).
//
//   java -cp target/weir-flink-bench.jar:target/lib/* dev.weir.bench.flink.Main --query q5 [options]
//     --events N               events 0..N-1 (default: unbounded)
//     --event-rate R           events per second of event time (default 10,000)
//     --rate R                 cap on emitted events per second over all subtasks
//     --output DIR             write the rows as JSON lines (exactly-once file sink) to DIR
//     --latency-dir DIR        record each row's latency and the source offsets in DIR
//     --checkpoint-interval MS checkpoint every MS ms (default: none)
//     --state rocksdb|heap     keyed-state backend (default rocksdb)
//     --slots S                slots per TaskManager (default 4)
//     --data-dir DIR           checkpoints and RocksDB files (default: a temporary directory)
//     --keys K                 keyed-count's keys (default 10,000)
//   ... dev.weir.bench.flink.Main --dump N   prints events 0..N-1 as JSON lines and exits
//
// Protocol with the harness (bench/flink/flink-job.ts): it prints `running`
// once the job runs and `finished <status>` when it ends; a `sample` line on
// stdin is answered with `progress <events emitted>`, `stop` cancels the job.
package dev.weir.bench.flink;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

public final class Main {
  private Main() {}

  static final long WATERMARK_DELAY_MS = 4000;

  /** Set before the harness's stop cancels the job. */
  private static volatile boolean cancelled;

  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parse(argv);
    if (args.containsKey("dump")) {
      dump(Long.parseLong(args.get("dump")), rate(args));
      return;
    }
    String query = required(args, "query");
    long events = args.containsKey("events") ? Long.parseLong(args.get("events")) : Long.MAX_VALUE;
    double sourceRate = args.containsKey("rate") ? Double.parseDouble(args.get("rate")) : 0;
    String latencyDir = args.get("latency-dir");
    String dataDir = args.containsKey("data-dir") ? args.get("data-dir") : Files.createTempDirectory("weir-flink-").toString();

    Configuration conf = new Configuration();
    conf.set(TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS, 2);
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, Integer.parseInt(args.getOrDefault("slots", "4")));
    conf.set(TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE, TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
    conf.set(CoreOptions.TMP_DIRS, dataDir);
    boolean heap = args.getOrDefault("state", "rocksdb").equals("heap");
    conf.set(StateBackendOptions.STATE_BACKEND, heap ? "hashmap" : "rocksdb");
    // Chained operators hand records on without a copy, as Weir's do. Not with heap state:
    // window accumulators there keep references to input records, which object reuse overwrites.
    conf.set(PipelineOptions.OBJECT_REUSE, !heap);
    conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Path.of(dataDir, "checkpoints").toUri().toString());
    if (args.containsKey("checkpoint-interval")) {
      conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(Long.parseLong(args.get("checkpoint-interval"))));
      conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);

    DataStream<?> rows;
    GeneratorSource.EventTime<Object> trigger = null;
    if (query.equals("keyed-count")) {
      long keys = Long.parseLong(args.getOrDefault("keys", "10000"));
      GeneratorSource<KeyedCount.Record> source = new GeneratorSource<>(KeyedCount.generator(keys), events, sourceRate, KeyedCount.TYPE, null, null);
      rows = KeyedCount.job(env.fromSource(source, WatermarkStrategy.noWatermarks(), "events").uid("events"));
    } else {
      NexmarkGenerator generator = new NexmarkGenerator(rate(args), NexmarkGenerator.DEFAULT_BASE_TIME);
      GeneratorSource<Event> source = new GeneratorSource<>(generator::event, events, sourceRate, TypeInformation.of(Event.class), latencyDir, Event::dateTime);
      WatermarkStrategy<Event> watermarks = WatermarkStrategy.<Event>forBoundedOutOfOrderness(Duration.ofMillis(WATERMARK_DELAY_MS)).withTimestampAssigner((e, ts) -> e.dateTime());
      DataStream<Event> input = env.fromSource(source, watermarks, "Nexmark").uid("nexmark-source");
      rows = query(query, input);
      trigger = Triggers.of(query);
    }
    attachSink(rows, args.get("output"), latencyDir, trigger);

    JobClient client = env.executeAsync(query.equals("keyed-count") ? "bench-keyed-count" : "nexmark-" + query);
    serve(client);
  }

  static DataStream<?> query(String query, DataStream<Event> events) {
    return switch (query) {
      case "q0" -> SimpleQueries.q0(events);
      case "q1" -> SimpleQueries.q1(events);
      case "q2" -> SimpleQueries.q2(events);
      case "q3" -> SimpleQueries.q3(events);
      case "q4" -> Q4.q4(events);
      case "q5" -> WindowQueries.q5(events);
      case "q6" -> WinningBids.q6(events);
      case "q7" -> WindowQueries.q7(events);
      case "q8" -> WindowQueries.q8(events);
      case "q9" -> WinningBids.q9(events);
      case "q11" -> WindowQueries.q11(events);
      default -> throw new IllegalArgumentException("unknown query '" + query + "': choose from q0 q1 q2 q3 q4 q5 q6 q7 q8 q9 q11 keyed-count");
    };
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static void attachSink(DataStream<?> rows, String output, String latencyDir, GeneratorSource.EventTime<Object> trigger) {
    DataStream<Object> stream = (DataStream<Object>) rows;
    if (latencyDir != null && trigger != null) {
      stream = stream.map(new LatencyRecorder<>(trigger, latencyDir)).returns((TypeInformation) rows.getType()).name("Latency");
    }
    if (output != null) {
      FileSink<String> sink = FileSink.forRowFormat(new org.apache.flink.core.fs.Path(output), new SimpleStringEncoder<String>("UTF-8"))
          .withBucketAssigner(new BasePathBucketAssigner<>())
          .build();
      stream.map((r) -> ((Rows.Row) r).toJson()).returns(Types.STRING).name("Json").sinkTo(sink).uid("nexmark-sink");
    } else {
      stream.sinkTo(new DiscardingSink<>()).uid("nexmark-sink");
    }
  }

  /** Answers the harness's samples until the job ends or it says stop. */
  static void serve(JobClient client) throws Exception {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    Thread watcher = new Thread(() -> {
      String status;
      try {
        while (client.getJobStatus().get() != JobStatus.RUNNING) Thread.sleep(50);
        out.println("running");
        client.getJobExecutionResult().get();
        status = "FINISHED";
      } catch (Exception e) {
        // The MiniCluster is gone once the job ended; a cancelled job ends with an exception too.
        status = cancelled ? "CANCELED" : "FAILED";
        if (!cancelled) e.printStackTrace();
      }
      out.println("finished " + status);
      out.flush();
      System.exit(status.equals("FAILED") ? 1 : 0);
    }, "job-watcher");
    watcher.setDaemon(true);
    watcher.start();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("sample")) {
        long total = 0;
        for (int i = 0; i < GeneratorSource.PROGRESS.length(); i += 16) total += GeneratorSource.PROGRESS.get(i);
        out.println("progress " + total);
      } else if (line.equals("stop")) {
        break;
      }
    }
    cancelled = true;
    client.cancel().get();
    watcher.join(30_000);
    System.exit(0);
  }

  static void dump(long count, double rate) {
    NexmarkGenerator generator = new NexmarkGenerator(rate, NexmarkGenerator.DEFAULT_BASE_TIME);
    PrintStream out = new PrintStream(new java.io.BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
    for (long n = 0; n < count; n++) out.println(generator.event(n).toJson());
    out.flush();
  }

  static double rate(Map<String, String> args) {
    return args.containsKey("event-rate") ? Double.parseDouble(args.get("event-rate")) : NexmarkGenerator.DEFAULT_RATE;
  }

  static String required(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null) throw new IllegalArgumentException("--" + name + " is required (see the usage at the top of Main.java)");
    return value;
  }

  static Map<String, String> parse(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i < argv.length; i++) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --name value pairs, got '" + argv[i] + "'");
      args.put(argv[i].substring(2), argv[++i]);
    }
    return args;
  }
}
