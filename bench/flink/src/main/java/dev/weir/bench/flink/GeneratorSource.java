// The Flink counterpart of Weir's generator source (fromGenerator): subtask k
// of p emits fn(i) for i = k, k + p, k + 2p, ... up to `count`, no faster than
// its share of `ratePerSecond` (measured from the reader's start, as Weir
// does). Its state is the split's next index, so it replays exactly from a
// checkpoint. Emitted records per subtask are published in PROGRESS for the
// harness, and with an offset directory the first record's wall clock minus
// its event time is written there (the latency measurement's source side).
package dev.weir.bench.flink;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

public final class GeneratorSource<T> implements Source<T, GeneratorSplit, List<GeneratorSplit>>, ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;

  /** Records emitted per subtask (index subtask * 16: one cache line each); read by Main's progress reports. */
  public static final AtomicLongArray PROGRESS = new AtomicLongArray(64 * 16);

  /** Makes record i; one instance per subtask (it is deserialized per task), so it may keep state. */
  public interface Generator<T> extends Serializable {
    T apply(long index);
  }

  /** The event time of a record, for the latency offset. */
  public interface EventTime<T> extends Serializable {
    long of(T record);
  }

  final Generator<T> fn;
  final long count;
  final double ratePerSecond;
  final TypeInformation<T> type;
  final String offsetDir;
  final EventTime<T> eventTime;

  public GeneratorSource(Generator<T> fn, long count, double ratePerSecond, TypeInformation<T> type, String offsetDir, EventTime<T> eventTime) {
    this.fn = fn;
    this.count = count;
    this.ratePerSecond = ratePerSecond;
    this.type = type;
    this.offsetDir = offsetDir;
    this.eventTime = eventTime;
  }

  @Override
  public Boundedness getBoundedness() {
    return count == Long.MAX_VALUE ? Boundedness.CONTINUOUS_UNBOUNDED : Boundedness.BOUNDED;
  }

  @Override
  public SourceReader<T, GeneratorSplit> createReader(SourceReaderContext context) {
    return new GeneratorReader<>(this, context);
  }

  @Override
  public SplitEnumerator<GeneratorSplit, List<GeneratorSplit>> createEnumerator(SplitEnumeratorContext<GeneratorSplit> context) {
    int p = context.currentParallelism();
    List<GeneratorSplit> splits = new ArrayList<>();
    for (int k = 0; k < p; k++) if (k < count) splits.add(new GeneratorSplit(k, p, k));
    return new Enumerator(context, splits);
  }

  @Override
  public SplitEnumerator<GeneratorSplit, List<GeneratorSplit>> restoreEnumerator(SplitEnumeratorContext<GeneratorSplit> context, List<GeneratorSplit> unassigned) {
    return new Enumerator(context, new ArrayList<>(unassigned));
  }

  @Override
  public SimpleVersionedSerializer<GeneratorSplit> getSplitSerializer() {
    return new GeneratorSplit.Serializer();
  }

  @Override
  public SimpleVersionedSerializer<List<GeneratorSplit>> getEnumeratorCheckpointSerializer() {
    return new GeneratorSplit.ListSerializer();
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return type;
  }

  /** Hands split k to subtask k when it registers (and back again after a failure). */
  private static final class Enumerator implements SplitEnumerator<GeneratorSplit, List<GeneratorSplit>> {
    private final SplitEnumeratorContext<GeneratorSplit> context;
    private final List<GeneratorSplit> unassigned;

    Enumerator(SplitEnumeratorContext<GeneratorSplit> context, List<GeneratorSplit> unassigned) {
      this.context = context;
      this.unassigned = unassigned;
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {}

    @Override
    public void addSplitsBack(List<GeneratorSplit> splits, int subtaskId) {
      unassigned.addAll(splits);
    }

    @Override
    public void addReader(int subtaskId) {
      int p = context.currentParallelism();
      List<GeneratorSplit> mine = new ArrayList<>();
      unassigned.removeIf((s) -> s.split % p == subtaskId && mine.add(s));
      if (!mine.isEmpty()) context.assignSplits(new org.apache.flink.api.connector.source.SplitsAssignment<>(java.util.Map.of(subtaskId, mine)));
      context.signalNoMoreSplits(subtaskId);
    }

    @Override
    public List<GeneratorSplit> snapshotState(long checkpointId) {
      return new ArrayList<>(unassigned);
    }

    @Override
    public void close() {}
  }
}
