package dev.weir.bench.flink;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;
import org.apache.flink.api.common.state.ListState;

/** The closed auctions of q4 and q6 that are due at an event-time timer, like bench/nexmark/closings.ts on Weir's side. */
final class DueClosings {
  private DueClosings() {}

  /**
   * Takes the entries of {@code pending} that expire at or before {@code timestamp} out of it and
   * returns them in closing order (expiry, then auction id); empty when none is due.
   */
  static <T> List<T> take(ListState<T> pending, long timestamp, ToLongFunction<T> expires, ToLongFunction<T> auction) throws Exception {
    List<T> due = new ArrayList<>();
    List<T> later = new ArrayList<>();
    Iterable<T> all = pending.get();
    if (all != null) for (T c : all) (expires.applyAsLong(c) <= timestamp ? due : later).add(c);
    if (due.isEmpty()) return due;
    due.sort(Comparator.comparingLong(expires).thenComparingLong(auction));
    pending.update(later);
    return due;
  }
}
