import { describe, expect, it } from 'vitest';
import { addSession, mergeWindows } from './merge-windows.ts';

describe('mergeWindows (Flink TimeWindow.mergeWindows)', () => {
  it('merges windows that overlap or touch, transitively, and keeps the others apart', () => {
    const groups = mergeWindows([
      { start: 20, end: 30 },
      { start: 0, end: 10 },
      { start: 5, end: 12 },
      { start: 12, end: 15 },
      { start: 40, end: 50 },
    ]);
    expect(groups.map((g) => g.merged)).toEqual([
      { start: 0, end: 15 },
      { start: 20, end: 30 },
      { start: 40, end: 50 },
    ]);
    expect(groups[0]!.members).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 12 },
      { start: 12, end: 15 },
    ]);
  });
});

describe('addSession (MergingWindowSet.addWindow)', () => {
  const sessions = [
    { start: 0, end: 10 },
    { start: 20, end: 30 },
    { start: 50, end: 60 },
  ];

  it('keeps a window apart from every session as a session of its own', () => {
    expect(addSession(sessions, { start: 35, end: 45 })).toEqual({ merged: { start: 35, end: 45 }, absorbed: [] });
  });

  it('extends the session it overlaps', () => {
    expect(addSession(sessions, { start: 25, end: 35 })).toEqual({ merged: { start: 20, end: 35 }, absorbed: [{ start: 20, end: 30 }] });
    expect(addSession(sessions, { start: 22, end: 28 })).toEqual({ merged: { start: 20, end: 30 }, absorbed: [{ start: 20, end: 30 }] });
  });

  it('bridges sessions (an out-of-order record between two) into one', () => {
    expect(addSession(sessions, { start: 8, end: 22 })).toEqual({
      merged: { start: 0, end: 30 },
      absorbed: [
        { start: 0, end: 10 },
        { start: 20, end: 30 },
      ],
    });
    expect(addSession(sessions, { start: 10, end: 50 }).merged).toEqual({ start: 0, end: 60 });
  });
});

describe('addSession against mergeWindows', () => {
  it('finds the same merged session and keeps sessions apart, for random arrivals', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let run = 0; run < 50; run++) {
      let sessions: { start: number; end: number }[] = [];
      for (let i = 0; i < 40; i++) {
        const t = random(500) - 100;
        const added = { start: t, end: t + 1 + random(30) };
        const { merged, absorbed } = addSession(sessions, added);
        const group = mergeWindows([...sessions, added]).find((g) => g.members.includes(added))!;
        expect(merged).toEqual(group.merged);
        expect(absorbed).toEqual(group.members.filter((m) => m !== added));
        sessions = [...sessions.filter((s) => !absorbed.includes(s)), merged];
        expect(mergeWindows(sessions)).toHaveLength(sessions.length);
      }
    }
  });
});
