import { cover, intersects, type Window } from './time-window.ts';

/** A set of windows that merge into one (Flink's MergingWindowAssigner.MergeCallback arguments). */
export interface MergeGroup {
  merged: Window;
  /** The windows covered by `merged`, by start. */
  members: Window[];
}

/**
 * Groups windows that overlap or touch (transitively) into the windows that
 * cover them (Flink's TimeWindow.mergeWindows): sorts by start and folds.
 * Every window belongs to exactly one group; groups come by start.
 */
export function mergeWindows(windows: readonly Window[]): MergeGroup[] {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  const groups: MergeGroup[] = [];
  let current: MergeGroup | undefined;
  for (const window of sorted) {
    if (current && intersects(current.merged, window)) {
      current.merged = cover(current.merged, window);
      current.members.push(window);
    } else {
      current = { merged: window, members: [window] };
      groups.push(current);
    }
  }
  return groups;
}

/**
 * Adds `added` to a key's sessions (Flink's MergingWindowSet.addWindow):
 * the session it ends up in, and the existing sessions that merge into it,
 * by start (empty when `added` stands alone). The sessions must be pairwise
 * apart (neither overlapping nor touching), as this function keeps them:
 * then the sessions that merge are exactly those `added` overlaps or
 * touches, so one pass finds them (what `mergeWindows` would give).
 */
export function addSession<W extends Window>(sessions: Iterable<W>, added: Window): { merged: Window; absorbed: W[] } {
  let merged = added;
  const absorbed: W[] = [];
  for (const session of sessions) {
    if (!intersects(session, added)) continue;
    merged = cover(merged, session);
    absorbed.push(session);
  }
  absorbed.sort((a, b) => a.start - b.start);
  return { merged, absorbed };
}
