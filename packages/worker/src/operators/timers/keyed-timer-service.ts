import type { TimeDomain } from '@weir/common/runtime';
import type { KeyedStateBackend, StateTable } from '../../state-backends/keyed-state-backend.ts';
import { TimerHeap, type TimerEntry } from './timer-heap.ts';

/** Per key and clock, in keyed state: the original key and its pending timestamps, ascending. */
interface KeyTimers {
  key: unknown;
  timestamps: number[];
}

export const TIMER_TABLES: Record<TimeDomain, string> = { 'processing-time': 'timers/processing', 'event-time': 'timers/event' };

/** A timer that is due, with the original key to hand to `onTimer`. */
export interface DueTimer {
  domain: TimeDomain;
  timestamp: number;
  keyText: string;
  key: unknown;
}

/**
 * The timers of one keyed operator (Flink's InternalTimerService). Timers are
 * keyed state (tables `timers/processing` and `timers/event`), so checkpoints
 * hold them; a min-heap per clock orders them for firing and is rebuilt from
 * the state files on restore.
 */
export class KeyedTimerService {
  private readonly tables: Record<TimeDomain, StateTable>;
  private readonly heaps: Record<TimeDomain, TimerHeap> = { 'processing-time': new TimerHeap(), 'event-time': new TimerHeap() };
  watermark = Number.NEGATIVE_INFINITY;

  constructor(state: KeyedStateBackend) {
    this.tables = { 'processing-time': state.table(TIMER_TABLES['processing-time']), 'event-time': state.table(TIMER_TABLES['event-time']) };
  }

  /** Registers a timer for the current key (whose state is loaded). */
  register(domain: TimeDomain, keyText: string, key: unknown, timestamp: number): void {
    if (!Number.isFinite(timestamp)) throw new Error(`a timer needs a finite timestamp in ms, got ${timestamp}`);
    const table = this.tables[domain];
    const current = table.get(keyText) as KeyTimers | undefined;
    const timestamps = current?.timestamps ?? [];
    if (timestamps.includes(timestamp)) return;
    table.set(keyText, { key, timestamps: [...timestamps, timestamp].sort((a, b) => a - b) } satisfies KeyTimers);
    this.heaps[domain].push({ timestamp, key: keyText });
  }

  delete(domain: TimeDomain, keyText: string, timestamp: number): void {
    const table = this.tables[domain];
    const current = table.get(keyText) as KeyTimers | undefined;
    if (!current?.timestamps.includes(timestamp)) return;
    const timestamps = current.timestamps.filter((t) => t !== timestamp);
    if (timestamps.length === 0) table.delete(keyText);
    else table.set(keyText, { key: current.key, timestamps });
  }

  /** The earliest pending processing-time timer (maybe stale), for arming a wake-up. */
  nextProcessingTime(): number | undefined {
    return this.heaps['processing-time'].peek()?.timestamp;
  }

  hasTimers(domain: TimeDomain): boolean {
    return this.heaps[domain].size > 0;
  }

  /** Takes the timers of `domain` due at `time` off the heap (their state must be loaded before `claim`). */
  takeDue(domain: TimeDomain, time: number): TimerEntry[] {
    const heap = this.heaps[domain];
    const due: TimerEntry[] = [];
    while (heap.size > 0 && heap.peek()!.timestamp <= time) due.push(heap.pop()!);
    return due;
  }

  /** Removes a due timer from state; undefined if it was deleted meanwhile (a stale heap entry). */
  claim(domain: TimeDomain, entry: TimerEntry): DueTimer | undefined {
    const table = this.tables[domain];
    const current = table.get(entry.key) as KeyTimers | undefined;
    if (!current?.timestamps.includes(entry.timestamp)) return undefined;
    const timestamps = current.timestamps.filter((t) => t !== entry.timestamp);
    if (timestamps.length === 0) table.delete(entry.key);
    else table.set(entry.key, { key: current.key, timestamps });
    return { domain, timestamp: entry.timestamp, keyText: entry.key, key: current.key };
  }

  /** Rebuilds the heaps from restored timer state entries. */
  restore(table: string, keyText: string, value: unknown): void {
    const domain = (Object.keys(TIMER_TABLES) as TimeDomain[]).find((d) => TIMER_TABLES[d] === table);
    if (!domain) return;
    for (const timestamp of (value as KeyTimers).timestamps) this.heaps[domain].push({ timestamp, key: keyText });
  }
}
