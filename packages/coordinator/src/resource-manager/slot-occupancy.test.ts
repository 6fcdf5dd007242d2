// Tests of a worker's slot occupancy: subtasks sharing a slot take it once.
import { describe, expect, it } from 'vitest';
import { SlotOccupancy } from './slot-occupancy.ts';

describe('SlotOccupancy', () => {
  it('counts a slot once however many subtasks share it, and frees it with the last one', () => {
    const slots = new SlotOccupancy();
    slots.occupy('j/0/a#0', 'j/0/default@0');
    slots.occupy('j/0/b#0', 'j/0/default@0');
    slots.occupy('j/0/c#0', 'j/0/default@0');
    slots.occupy('j/0/a#1', 'j/0/default@1');
    expect(slots.slotsInUse).toBe(2);
    expect(slots.subtaskCount).toBe(4);
    expect(slots.release('j/0/a#0')).toBe(true);
    expect(slots.release('j/0/b#0')).toBe(true);
    expect(slots.slotsInUse).toBe(2);
    expect(slots.release('j/0/c#0')).toBe(true);
    expect(slots.slotsInUse).toBe(1);
    expect([...slots.subtasks()]).toEqual(['j/0/a#1']);
  });

  it('ignores a subtask placed twice and the release of one never placed', () => {
    const slots = new SlotOccupancy();
    slots.occupy('j/0/a#0', 'j/0/default@0');
    slots.occupy('j/0/a#0', 'j/0/default@0');
    expect(slots.subtaskCount).toBe(1);
    expect(slots.release('j/0/nope#0')).toBe(false);
    expect(slots.release('j/0/a#0')).toBe(true);
    expect(slots.release('j/0/a#0')).toBe(false);
    expect(slots.slotsInUse).toBe(0);
  });

  it('keeps slots of different groups and attempts apart', () => {
    const slots = new SlotOccupancy();
    slots.occupy('j/0/a#0', 'j/0/default@0');
    slots.occupy('j/0/b#0', 'j/0/heavy@0');
    slots.occupy('j/1/a#0', 'j/1/default@0');
    expect(slots.slotsInUse).toBe(3);
    // A subtask moved to another slot leaves the first one.
    slots.occupy('j/0/b#0', 'j/0/default@0');
    expect(slots.slotsInUse).toBe(2);
  });
});
