/** One timer: a timestamp and the canonical text of its key. */
export interface TimerEntry {
  timestamp: number;
  key: string;
}

/** A binary min-heap of timers by timestamp. Entries may be stale (deleted since): the caller checks. */
export class TimerHeap {
  private readonly items: TimerEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): TimerEntry | undefined {
    return this.items[0];
  }

  push(entry: TimerEntry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.timestamp <= entry.timestamp) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): TimerEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || !last) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && items[left]!.timestamp < items[smallest]!.timestamp) smallest = left;
      if (right < items.length && items[right]!.timestamp < items[smallest]!.timestamp) smallest = right;
      if (smallest === i) break;
      const swap = items[i]!;
      items[i] = items[smallest]!;
      items[smallest] = swap;
      i = smallest;
    }
    return top;
  }
}
