import type { AggregateFunction, AggregatingState } from '@weir/common/runtime';
import { privateCopy } from './private-copy.ts';
import type { StateSlot } from './state-slot.ts';

/** AggregatingState over a {@link StateSlot}: the stored value is the accumulator. */
export class BoundAggregatingState implements AggregatingState<unknown, unknown> {
  private readonly slot: StateSlot;
  private readonly fn: AggregateFunction<unknown, unknown, unknown>;

  constructor(slot: StateSlot, fn: AggregateFunction<unknown, unknown, unknown>) {
    this.slot = slot;
    this.fn = fn;
  }

  get(): unknown {
    const accumulator = this.slot.get('read');
    return accumulator === undefined ? undefined : this.fn.getResult(privateCopy(accumulator));
  }

  add(value: unknown): void {
    // As Flink's AggregatingState: adding null (here undefined) clears the state.
    if (value === undefined) {
      this.slot.delete();
      return;
    }
    const current = this.slot.get('write');
    const accumulator = current === undefined ? this.fn.createAccumulator() : privateCopy(current);
    if (accumulator === undefined) throw new TypeError(`${this.slot.label}: createAccumulator() returned undefined; it must return an accumulator`);
    const next = this.fn.add(value, accumulator);
    if (next === undefined) throw new TypeError(`${this.slot.label}: the aggregate function's add() returned undefined; it must return the accumulator`);
    this.slot.set(next);
  }

  clear(): void {
    this.slot.delete();
  }
}
