// The latency measurement's sink side: for each row, the wall clock when it
// reaches the sink minus the event time that let it be emitted (its trigger
// time), written as `trigger lag` lines to DIR/latency-<subtask>.txt. The
// harness subtracts the source's offset (wall clock minus event time).
package dev.weir.bench.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

final class LatencyRecorder<T> extends RichMapFunction<T, T> {
  private final GeneratorSource.EventTime<T> trigger;
  private final String dir;
  private transient StringBuilder lines;
  private transient Path file;
  private transient long lastFlush;

  LatencyRecorder(GeneratorSource.EventTime<T> trigger, String dir) {
    this.trigger = trigger;
    this.dir = dir;
  }

  @Override
  public void open(OpenContext context) {
    lines = new StringBuilder();
    file = Path.of(dir, "latency-flink-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() + ".txt");
  }

  @Override
  public T map(T row) throws IOException {
    long now = System.currentTimeMillis();
    long t = trigger.of(row);
    lines.append(t).append(' ').append(now - t).append('\n');
    if (lines.length() > 64 * 1024 || now - lastFlush > 200) flush(now);
    return row;
  }

  private void flush(long now) throws IOException {
    lastFlush = now;
    if (lines.length() == 0) return;
    Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    lines.setLength(0);
  }

  @Override
  public void close() throws IOException {
    if (lines != null) flush(System.currentTimeMillis());
  }
}
