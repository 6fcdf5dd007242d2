import { GLOBAL_WINDOW, windowStartWithOffset, type Window } from './time-window.ts';

/** How the SDK describes a window assigner (config `assigner` of a 'keyed.window' operator). */
export interface WindowAssignerSpec {
  kind: string;
  sizeMs?: number;
  slideMs?: number;
  offsetMs?: number;
  gapMs?: number;
}

/** Puts each record into windows by its timestamp (event time) or the wall clock (processing time). */
export interface WindowAssigner {
  readonly kind: string;
  /** Event time: windows end when the watermark passes them; records need timestamps. */
  readonly eventTime: boolean;
  /** Session windows: a key's windows merge when they overlap or touch. */
  readonly merging: boolean;
  /** The windows of a record at `timestamp`, by start. */
  assign(timestamp: number): Window[];
}

/** A tumbling window assigner: the window of `size` (shifted by `offset`) holding the timestamp. */
export function tumblingWindows(sizeMs: number, offsetMs: number, eventTime: boolean): WindowAssigner {
  return {
    kind: eventTime ? 'tumbling-event-time' : 'tumbling-processing-time',
    eventTime,
    merging: false,
    assign(timestamp) {
      const start = windowStartWithOffset(timestamp, offsetMs, sizeMs);
      return [{ start, end: start + sizeMs }];
    },
  };
}

/** A sliding window assigner: every window of `size` starting at `offset + k * slide` that holds the timestamp. */
export function slidingWindows(sizeMs: number, slideMs: number, offsetMs: number, eventTime: boolean): WindowAssigner {
  return {
    kind: eventTime ? 'sliding-event-time' : 'sliding-processing-time',
    eventTime,
    merging: false,
    assign(timestamp) {
      const windows: Window[] = [];
      const lastStart = windowStartWithOffset(timestamp, offsetMs, slideMs);
      for (let start = lastStart; start > timestamp - sizeMs; start -= slideMs) windows.push({ start, end: start + sizeMs });
      return windows.reverse();
    },
  };
}

/** Event-time sessions: each record opens `[t, t + gap)`; the operator merges a key's overlapping windows. */
export function sessionWindows(gapMs: number): WindowAssigner {
  return {
    kind: 'event-time-session',
    eventTime: true,
    merging: true,
    assign: (timestamp) => [{ start: timestamp, end: timestamp + gapMs }],
  };
}

/** One window for all of a key's records. */
export function globalWindows(): WindowAssigner {
  return { kind: 'global', eventTime: false, merging: false, assign: () => [GLOBAL_WINDOW] };
}

/** Builds the assigner a config describes; throws naming what is wrong. */
export function createWindowAssigner(spec: WindowAssignerSpec | undefined): WindowAssigner {
  const ms = (field: 'sizeMs' | 'slideMs' | 'gapMs'): number => {
    const value = spec?.[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new Error(`window assigner '${spec?.kind}': ${field} must be a number of ms > 0, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const offset = (period: number): number => {
    const value = spec?.offsetMs ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) >= period) {
      throw new Error(`window assigner '${spec?.kind}': offsetMs must be a number of ms with |offset| < ${period}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  switch (spec?.kind) {
    case 'tumbling-event-time':
    case 'tumbling-processing-time': {
      const size = ms('sizeMs');
      return tumblingWindows(size, offset(size), spec.kind === 'tumbling-event-time');
    }
    case 'sliding-event-time':
    case 'sliding-processing-time': {
      const size = ms('sizeMs');
      const slide = ms('slideMs');
      return slidingWindows(size, slide, offset(slide), spec.kind === 'sliding-event-time');
    }
    case 'event-time-session':
      return sessionWindows(ms('gapMs'));
    case 'global':
      return globalWindows();
    default:
      throw new Error(`unknown window assigner ${JSON.stringify(spec?.kind)}: the job was built by an SDK this worker does not match`);
  }
}
