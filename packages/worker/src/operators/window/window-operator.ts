import { keyToString, type Collector, type TimeDomain } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../../runtime/operator.ts';
import type { KeyedStateBackend } from '../../state-backends/keyed-state-backend.ts';
import { KeyedTimerService, type DueTimer } from '../timers/keyed-timer-service.ts';
import { addSession } from './merge-windows.ts';
import { Ownership } from './ownership.ts';
import { maxTimestamp, sameWindow, windowNamespace, type Window } from './time-window.ts';
import { parseWindowConfig } from './window-config.ts';
import { windowFunctions, type WindowFunctionContext } from './window-functions.ts';

/** The keyed-state table of window contents: per key, its windows by namespace. */
export const WINDOW_CONTENTS_TABLE = 'window/contents';

/** One window of one key, in state: its bounds, contents and the count trigger's count. */
interface WindowEntry {
  start: number;
  end: number;
  /** The reduced value, the accumulator, or the list of elements. */
  acc: unknown;
  /** Elements since the last count-trigger firing. */
  count: number;
}

/** A key's windows by {@link windowNamespace}. Replaced on every change, never changed in place. */
type KeyWindows = Record<string, WindowEntry>;

/** Options of {@link windowOperator}. */
export interface WindowOperatorOptions {
  /** Processing time (default `Date.now`); tests inject their own. */
  clock?: () => number;
}

/**
 * The window operator of a keyed stream (Flink's WindowOperator). Per key and
 * window, the contents live in keyed state (table `window/contents`, one
 * value per key holding that key's windows), so checkpoints carry them.
 * Every window has a timer at its end (`maxTimestamp`, when the trigger is
 * event or processing time) and a cleanup timer at `maxTimestamp +
 * allowedLateness`; timers are keyed state too. A key's timer at time t
 * fires the windows ending at t and drops those whose cleanup time is t.
 *
 * Event time: a record later than the cleanup time of all its windows is
 * counted (`lateRecordsDropped`) and goes to the late-data side output if
 * one is set; a record for a window that fired but is within the allowed
 * lateness fires it again at once with the updated contents. Session windows
 * merge their contents when a record bridges them (Flink's MergingWindowSet,
 * with a key's windows as the set). Results carry the window's
 * `maxTimestamp` as event time. At the end of bounded input, event-time
 * windows fire (the watermark becomes +Infinity) and so do open
 * processing-time windows.
 */
export function windowOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend, options: WindowOperatorOptions = {}): ChainedOperator {
  const config = parseWindowConfig(ctx.descriptor.config);
  const { assigner, trigger, allowedLatenessMs, triggerDomain, cleanupDomain } = config;
  const own = new Ownership();
  const functions = windowFunctions(ctx, own);
  const selector = ctx.keySelector;
  if (!selector) throw new Error(`window operator '${ctx.descriptor.name}' needs a keyed input: call window() on keyBy(...)`);
  const clock = options.clock ?? Date.now;
  const table = state.table(WINDOW_CONTENTS_TABLE);
  const timers = new KeyedTimerService(state);
  const time = ctx.time;
  const lateOutput = config.lateTag !== null ? ctx.sideOutput(config.lateTag) : undefined;
  const out: Collector<unknown> = { collect: next };

  const cleanupTime = (w: Window): number => (assigner.eventTime ? maxTimestamp(w) + allowedLatenessMs : maxTimestamp(w));
  /** Past cleanup by the watermark: the window is gone and takes no more elements. */
  const isLate = (w: Window): boolean => assigner.eventTime && cleanupTime(w) <= timers.watermark;
  /** The timers a window needs: [clock, time] for the trigger and for the cleanup. */
  const timersOf = (w: Window): [TimeDomain, number][] => {
    const wanted: [TimeDomain, number][] = [];
    if (triggerDomain && Number.isFinite(maxTimestamp(w))) wanted.push([triggerDomain, maxTimestamp(w)]);
    if (cleanupDomain && Number.isFinite(cleanupTime(w))) wanted.push([cleanupDomain, cleanupTime(w)]);
    return wanted;
  };

  /** A new window's timers (registering one that exists changes nothing). */
  function registerTimers(keyText: string, key: unknown, w: Window): void {
    const end = maxTimestamp(w);
    // An event-time trigger whose window already ended fires on the element instead (a late firing): a timer would fire it twice.
    if (triggerDomain && Number.isFinite(end) && !(triggerDomain === 'event-time' && end <= timers.watermark)) timers.register(triggerDomain, keyText, key, end);
    const cleanup = cleanupTime(w);
    if (cleanupDomain && Number.isFinite(cleanup)) timers.register(cleanupDomain, keyText, key, cleanup);
  }

  /** Deletes the timers of windows merged away that no remaining window of the key needs. */
  function deleteUnusedTimers(keyText: string, gone: Window[], windows: KeyWindows): void {
    for (const w of gone) {
      for (const [domain, t] of timersOf(w)) {
        let needed = false;
        for (const ns in windows) {
          const other = windows[ns]!;
          if ((domain === triggerDomain && maxTimestamp(other) === t) || (domain === cleanupDomain && cleanupTime(other) === t)) {
            needed = true;
            break;
          }
        }
        if (!needed) timers.delete(domain, keyText, t);
      }
    }
  }

  function emit(key: unknown, w: Window, contents: unknown): void {
    const end = maxTimestamp(w);
    const context: WindowFunctionContext = {
      window: Number.isFinite(w.start) ? { start: w.start, end: w.end, maxTimestamp: end } : { maxTimestamp: end },
      currentWatermark: timers.watermark,
      currentProcessingTime: clock(),
    };
    time.timestamp = end;
    functions.emit(key, context, contents, out);
  }

  /**
   * Puts an element's contents into a window, asks the trigger, and returns
   * whether it fires. `windows` is the key's new window map, changed here.
   */
  function onElement(keyText: string, key: unknown, w: Window, entry: WindowEntry, created: boolean, windows: KeyWindows): boolean {
    if (created) registerTimers(keyText, key, w);
    let fire = false;
    if (trigger.kind === 'event-time') {
      fire = maxTimestamp(w) <= timers.watermark;
    } else if (trigger.kind === 'count' && entry.count >= trigger.count) {
      fire = true;
      entry.count = 0;
    }
    const ns = windowNamespace(w);
    if (fire && trigger.purge) delete windows[ns];
    else windows[ns] = entry;
    return fire;
  }

  function timestampOf(): number {
    if (!assigner.eventTime) return clock();
    const timestamp = time.timestamp;
    if (Number.isNaN(timestamp)) {
      throw new Error(
        `window operator '${ctx.descriptor.name}' got a record without an event-time timestamp: event-time windows need timestamps; ` +
          'give the source a WatermarkStrategy with a timestamp assigner (fromGenerator(fn, { watermarks }), readJsonLines(path, { watermarks })), ' +
          'call assignTimestampsAndWatermarks() before keyBy(), or use a processing-time window',
      );
    }
    return timestamp;
  }

  function fireTimer(due: DueTimer): void {
    const current = table.get(due.keyText) as KeyWindows | undefined;
    if (current === undefined) return;
    const firings: WindowEntry[] = [];
    const dropped: string[] = [];
    for (const ns in current) {
      const entry = current[ns]!;
      let drop = false;
      if (due.domain === triggerDomain && maxTimestamp(entry) === due.timestamp) {
        firings.push(entry);
        drop = trigger.purge;
      }
      if (due.domain === cleanupDomain && cleanupTime(entry) === due.timestamp) drop = true;
      if (drop) dropped.push(ns);
    }
    if (dropped.length > 0) {
      const windows = own.shallow(current);
      for (const ns of dropped) delete windows[ns];
      store(due.keyText, windows);
    }
    firings.sort((a, b) => a.start - b.start || a.end - b.end);
    for (const entry of firings) emit(due.key, entry, entry.acc);
  }

  function store(keyText: string, windows: KeyWindows): void {
    for (const _ in windows) {
      table.set(keyText, windows);
      return;
    }
    table.delete(keyText);
  }

  return {
    timers: { service: timers, fire: fireTimer },

    process(record) {
      const key = selector(record);
      const keyText = keyToString(key);
      const elementTime = time.timestamp;
      const timestamp = timestampOf();
      const stored = table.get(keyText) as KeyWindows | undefined;
      const windows: KeyWindows = stored === undefined ? own.claim({}) : own.shallow(stored);
      const firings: [Window, unknown][] = [];
      let accepted = false;

      if (assigner.merging) {
        const { merged, absorbed } = addSession(Object.values(windows), assigner.assign(timestamp)[0]!);
        if (!isLate(merged)) {
          accepted = true;
          let acc: unknown;
          let count = 0;
          for (const w of absorbed) {
            const entry = windows[windowNamespace(w)]!;
            acc = acc === undefined ? entry.acc : functions.merge(acc, entry.acc);
            count += entry.count;
            delete windows[windowNamespace(w)];
          }
          const entry: WindowEntry = { start: merged.start, end: merged.end, acc: functions.add(acc, record), count: count + 1 };
          const existed = absorbed.some((w) => sameWindow(w, merged));
          if (onElement(keyText, key, merged, entry, !existed, windows)) firings.push([merged, entry.acc]);
          deleteUnusedTimers(keyText, absorbed.filter((w) => !sameWindow(w, merged)), windows);
        }
      } else {
        for (const w of assigner.assign(timestamp)) {
          if (isLate(w)) continue;
          accepted = true;
          const previous = windows[windowNamespace(w)];
          const entry: WindowEntry = { start: w.start, end: w.end, acc: functions.add(previous?.acc, record), count: (previous?.count ?? 0) + 1 };
          if (onElement(keyText, key, w, entry, previous === undefined, windows)) firings.push([w, entry.acc]);
        }
      }

      if (!accepted) {
        ctx.count('lateRecordsDropped');
        lateOutput?.(record);
        return;
      }
      store(keyText, windows);
      for (const [w, contents] of firings) emit(key, w, contents);
      time.timestamp = elementTime;
    },

    snapshotState() {
      // The backend's snapshot follows: from now on it may share every stored object.
      own.reset();
      return [];
    },

    async finish() {
      // End of bounded input: processing time runs out too, so open processing-time windows fire.
      if (triggerDomain !== 'processing-time' && cleanupDomain !== 'processing-time') return;
      const due = timers.takeDue('processing-time', Number.POSITIVE_INFINITY);
      if (due.length === 0) return;
      if (state.prefetch) await state.prefetch([...new Set(due.map((d) => d.key))]);
      for (const entry of due) {
        const timer = timers.claim('processing-time', entry);
        if (timer) fireTimer(timer);
      }
    },
  };
}
