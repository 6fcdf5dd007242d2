// The trigger time of a result row for the latency measurement: the event time
// whose arrival lets the row be emitted. A bid for q0 and q1; for a window, an
// event at its end + the watermark delay (the watermark is dateTime - 4 s - 1,
// and a window fires when it reaches end - 1). Must match bench/nexmark/latency.ts.
package dev.weir.bench.flink;

final class Triggers {
  private Triggers() {}

  static final long WINDOW_MS = 10_000;

  /** The trigger time of the query's rows, or null where a row carries no time (q2, q3, q4). */
  static GeneratorSource.EventTime<Object> of(String query) {
    long d = Main.WATERMARK_DELAY_MS;
    return switch (query) {
      case "q0" -> (r) -> ((Rows.Q0Row) r).event.bid.dateTime;
      case "q1" -> (r) -> ((Rows.Q1Row) r).dateTime;
      case "q5" -> (r) -> ((Rows.Q5Row) r).windowEnd + d;
      case "q7" -> (r) -> ((Rows.Q7Row) r).windowEnd + d;
      case "q8" -> (r) -> ((Rows.Q8Row) r).windowStart + WINDOW_MS + d;
      case "q11" -> (r) -> ((Rows.Q11Row) r).end + d;
      default -> null;
    };
  }
}
