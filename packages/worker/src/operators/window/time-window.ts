/**
 * A window `[start, end)` in ms (Flink's TimeWindow). The global window is
 * `[-Infinity, Infinity)`. Windows are compared by value.
 */
export interface Window {
  readonly start: number;
  readonly end: number;
}

/** The global window of `GlobalWindows`. */
export const GLOBAL_WINDOW: Window = { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY };

/** The last ms in the window (`end - 1`); Infinity for the global window. What its results carry as event time. */
export function maxTimestamp(window: Window): number {
  return window.end - 1;
}

/** The window's name in state: its bounds (`start:end`). */
export function windowNamespace(window: Window): string {
  return `${window.start}:${window.end}`;
}

/**
 * The start of the window of `size` (shifted by `offset`) that holds
 * `timestamp` (Flink's TimeWindow.getWindowStartWithOffset), also for
 * negative timestamps: the largest `offset + k * size` <= `timestamp`.
 */
export function windowStartWithOffset(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size;
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
}

/** True when the windows overlap or touch (Flink's TimeWindow.intersects): touching sessions merge. */
export function intersects(a: Window, b: Window): boolean {
  return a.start <= b.end && a.end >= b.start;
}

/** The smallest window that covers both. */
export function cover(a: Window, b: Window): Window {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

export function sameWindow(a: Window, b: Window): boolean {
  return a.start === b.start && a.end === b.end;
}
