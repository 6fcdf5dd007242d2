// The reader of GeneratorSource: emits its splits' records one per poll,
// round-robin over its splits, each through its own SourceOutput so that
// watermarks are generated per split (as Weir's generator source does).
package dev.weir.bench.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;

final class GeneratorReader<T> implements SourceReader<T, GeneratorSplit> {
  private final GeneratorSource<T> source;
  private final int subtask;
  private final double ratePerSubtask;
  private final List<GeneratorSplit> splits = new ArrayList<>();
  private final List<SourceOutput<T>> outputs = new ArrayList<>();
  private CompletableFuture<Void> available = new CompletableFuture<>();
  private boolean noMoreSplits;
  private int turn;
  private long emitted;
  private long startedAt;
  private long startedAtWall;
  private boolean offsetWritten;

  GeneratorReader(GeneratorSource<T> source, SourceReaderContext context) {
    this.source = source;
    this.subtask = context.getIndexOfSubtask();
    int parallelism = context.currentParallelism();
    this.ratePerSubtask = source.ratePerSecond > 0 ? source.ratePerSecond / parallelism : 0;
  }

  @Override
  public void start() {}

  @Override
  public InputStatus pollNext(ReaderOutput<T> output) throws IOException {
    if (splits.isEmpty()) {
      if (noMoreSplits) return InputStatus.END_OF_INPUT;
      available = new CompletableFuture<>();
      return InputStatus.NOTHING_AVAILABLE;
    }
    // The pacing starts with the first poll that has a split (as Weir's starts when the source opens and emits at once).
    if (startedAt == 0) {
      startedAt = System.nanoTime();
      startedAtWall = System.currentTimeMillis();
    }
    if (ratePerSubtask > 0) {
      long allowed = (long) Math.floor((System.nanoTime() - startedAt) / 1e9 * ratePerSubtask) - emitted;
      if (allowed <= 0) {
        long waitMs = (long) Math.min(100, Math.max(1, 1000 / ratePerSubtask));
        available = CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(waitMs, TimeUnit.MILLISECONDS));
        return InputStatus.NOTHING_AVAILABLE;
      }
    }
    while (outputs.size() < splits.size()) outputs.add(output.createOutputForSplit(splits.get(outputs.size()).splitId()));
    int i = turn++ % splits.size();
    GeneratorSplit split = splits.get(i);
    T record = source.fn.apply(split.next);
    if (!offsetWritten && source.offsetDir != null) writeOffset(split.next, record);
    split.next += split.of;
    emitted++;
    GeneratorSource.PROGRESS.lazySet(subtask * 16, emitted);
    outputs.get(i).collect(record);
    if (split.next >= source.count) {
      output.releaseOutputForSplit(split.splitId());
      splits.remove(i);
      outputs.remove(i);
      if (splits.isEmpty() && noMoreSplits) return InputStatus.END_OF_INPUT;
    }
    return InputStatus.MORE_AVAILABLE;
  }

  /** Wall clock at the pacing's start minus event time of the first record, for the latency measurement. */
  private void writeOffset(long index, T record) throws IOException {
    offsetWritten = true;
    long offset = startedAtWall - source.eventTime.of(record);
    Files.writeString(Path.of(source.offsetDir, "source-offset-" + index), Long.toString(offset), StandardCharsets.UTF_8);
  }

  @Override
  public List<GeneratorSplit> snapshotState(long checkpointId) {
    List<GeneratorSplit> copy = new ArrayList<>(splits.size());
    for (GeneratorSplit s : splits) copy.add(s.copy());
    return copy;
  }

  @Override
  public CompletableFuture<Void> isAvailable() {
    return available;
  }

  @Override
  public void addSplits(List<GeneratorSplit> added) {
    for (GeneratorSplit s : added) {
      if (s.next < source.count) splits.add(s);
    }
    available.complete(null);
  }

  @Override
  public void notifyNoMoreSplits() {
    noMoreSplits = true;
    available.complete(null);
  }

  @Override
  public void close() {}
}
