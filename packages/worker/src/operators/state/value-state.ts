import type { ValueState } from '@weir/common/runtime';
import type { StateSlot } from './state-slot.ts';

/** ValueState over a {@link StateSlot}: the stored value is the user's value. */
export class BoundValueState implements ValueState<unknown> {
  private readonly slot: StateSlot;
  private readonly defaultValue: unknown;

  constructor(slot: StateSlot, defaultValue: unknown) {
    this.slot = slot;
    this.defaultValue = defaultValue;
  }

  value(): unknown {
    const v = this.slot.get('read');
    return v === undefined ? this.defaultValue : v;
  }

  update(value: unknown): void {
    if (value === undefined) this.slot.delete();
    else this.slot.set(value);
  }

  clear(): void {
    this.slot.delete();
  }
}
