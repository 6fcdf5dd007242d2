import type { ReducingState } from '@weir/common/runtime';
import { privateCopy } from './private-copy.ts';
import type { StateSlot } from './state-slot.ts';

/** ReducingState over a {@link StateSlot}: the stored value is the reduced value. */
export class BoundReducingState implements ReducingState<unknown> {
  private readonly slot: StateSlot;
  private readonly reduce: (accumulated: unknown, value: unknown) => unknown;

  constructor(slot: StateSlot, reduce: (accumulated: unknown, value: unknown) => unknown) {
    this.slot = slot;
    this.reduce = reduce;
  }

  get(): unknown {
    return this.slot.get('read');
  }

  add(value: unknown): void {
    // As Flink's ReducingState: adding null (here undefined) clears the state.
    if (value === undefined) {
      this.slot.delete();
      return;
    }
    const current = this.slot.get('write');
    if (current === undefined) {
      this.slot.set(value);
      return;
    }
    const reduced = this.reduce(privateCopy(current), value);
    if (reduced === undefined) throw new TypeError(`${this.slot.label}: the reduce function returned undefined; it must return the reduced value`);
    this.slot.set(reduced);
  }

  clear(): void {
    this.slot.delete();
  }
}
