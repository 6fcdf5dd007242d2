// The slots of one worker in use: which subtasks run in which shared slot.
// With slot sharing a slot holds one subtask of each vertex of its slot
// sharing group, so a worker's free slots count slots, not subtasks.

/** The subtasks placed on a worker and not yet terminal, by the shared slot each runs in. */
export class SlotOccupancy {
  /** Slot key (`attemptSlotKey`) of each subtask (`attemptSubtaskKey`). */
  private readonly slotOf = new Map<string, string>();
  /** Subtasks in each slot in use. */
  private readonly subtasksIn = new Map<string, number>();

  /** Puts a subtask in a slot (it takes the slot if no other subtask holds it yet). */
  occupy(subtaskKey: string, slotKey: string): void {
    if (this.slotOf.get(subtaskKey) === slotKey) return;
    this.release(subtaskKey);
    this.slotOf.set(subtaskKey, slotKey);
    this.subtasksIn.set(slotKey, (this.subtasksIn.get(slotKey) ?? 0) + 1);
  }

  /** A subtask ended: its slot is free once none of its subtasks is left. Returns whether the subtask was here. */
  release(subtaskKey: string): boolean {
    const slotKey = this.slotOf.get(subtaskKey);
    if (slotKey === undefined) return false;
    this.slotOf.delete(subtaskKey);
    const left = this.subtasksIn.get(slotKey)! - 1;
    if (left === 0) this.subtasksIn.delete(slotKey);
    else this.subtasksIn.set(slotKey, left);
    return true;
  }

  /** Slots in use: those holding at least one subtask. */
  get slotsInUse(): number {
    return this.subtasksIn.size;
  }

  /** Subtasks placed here, over all slots. */
  get subtaskCount(): number {
    return this.slotOf.size;
  }

  /** The keys of the subtasks placed here. */
  subtasks(): IterableIterator<string> {
    return this.slotOf.keys();
  }
}
