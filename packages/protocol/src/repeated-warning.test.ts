import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RepeatedWarning } from './repeated-warning.ts';

interface Line {
  msg: string;
  suppressed?: number;
  attempt?: number;
}

/** A real pino logger whose lines are kept, parsed. */
function capturingLogger(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (text: string) => void lines.push(JSON.parse(text) as Line) });
  return { logger, lines };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('RepeatedWarning', () => {
  it('logs the first warning, then at most one per interval growing to 30 s, counting the rest', () => {
    const { logger, lines } = capturingLogger();
    const warning = new RepeatedWarning(logger, 'cannot reach etcd; retrying');
    const times: number[] = [];
    // A coordinator with etcd down: a warning every 400 ms (2.5/s) for 2 minutes.
    for (let attempt = 0; attempt * 400 <= 120_000; attempt++) {
      const before = lines.length;
      warning.warn({ attempt });
      if (lines.length > before) times.push(Date.now());
      vi.advanceTimersByTime(400);
    }
    expect(lines[0]).toMatchObject({ msg: 'cannot reach etcd; retrying', attempt: 0 });
    expect(lines[0]!.suppressed).toBeUndefined();
    // 1 s, then 2, 4, 8, 16, then 30 s apart (rounded up to the next 400 ms warning).
    expect(times).toEqual([0, 1200, 3200, 7200, 15_200, 31_200, 61_200, 91_200]);
    expect(lines[1]).toMatchObject({ msg: 'cannot reach etcd; retrying (2 more since)', suppressed: 2, attempt: 3 });
    expect(lines.at(-1)).toMatchObject({ msg: 'cannot reach etcd; retrying (74 more since)', suppressed: 74 });
    // Every warning is either logged or counted in the line after it.
    const counted = lines.reduce((sum, line) => sum + 1 + (line.suppressed ?? 0), 0);
    expect(counted).toBe(Math.floor(91_200 / 400) + 1);
  });

  it('logs at once again after reset, with the interval small again', () => {
    const { logger, lines } = capturingLogger();
    const warning = new RepeatedWarning(logger, 'lost the coordinator', { initialIntervalMs: 500, maxIntervalMs: 2000 });
    warning.warn();
    warning.warn();
    vi.advanceTimersByTime(600);
    warning.warn();
    expect(lines.map((l) => l.msg)).toEqual(['lost the coordinator', 'lost the coordinator (1 more since)']);
    warning.reset();
    warning.warn();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ msg: 'lost the coordinator' });
    vi.advanceTimersByTime(400);
    warning.warn();
    expect(lines).toHaveLength(3);
    vi.advanceTimersByTime(100);
    warning.warn();
    expect(lines[3]).toMatchObject({ msg: 'lost the coordinator (1 more since)' });
  });

  it('words each line as the caller says', () => {
    const { logger, lines } = capturingLogger();
    const warning = new RepeatedWarning(logger, 'cannot reach the coordinator; retrying');
    warning.warn({}, 'cannot reach the coordinator at a:1; retrying');
    warning.warn({}, 'cannot reach the coordinator at b:2; retrying');
    vi.advanceTimersByTime(1000);
    warning.warn({}, 'cannot reach the coordinator at c:3; retrying');
    expect(lines.map((l) => l.msg)).toEqual(['cannot reach the coordinator at a:1; retrying', 'cannot reach the coordinator at c:3; retrying (1 more since)']);
  });

  it('never waits longer than the maximum interval', () => {
    const { logger, lines } = capturingLogger();
    const warning = new RepeatedWarning(logger, 'x', { initialIntervalMs: 1000, maxIntervalMs: 3000 });
    for (let t = 0; t <= 20_000; t += 1000) {
      warning.warn();
      vi.advanceTimersByTime(1000);
    }
    // 0, 1 s, 3 s, then every 3 s.
    expect(lines).toHaveLength(8);
  });
});
