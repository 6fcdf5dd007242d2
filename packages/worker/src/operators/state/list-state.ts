import type { ListState } from '@weir/common/runtime';
import type { SlotAccess, StateSlot } from './state-slot.ts';

/**
 * ListState over a {@link StateSlot}: the stored value is a non-empty array
 * (an empty list is no value). Every change stores a new array.
 */
export class BoundListState implements ListState<unknown> {
  private readonly slot: StateSlot;

  constructor(slot: StateSlot) {
    this.slot = slot;
  }

  get(): unknown[] {
    return [...this.current('read')];
  }

  add(value: unknown): void {
    this.checkElement(value, 'add');
    this.slot.set([...this.current('write'), value]);
  }

  addAll(values: readonly unknown[]): void {
    this.checkArray(values, 'addAll');
    if (values.length === 0) return;
    for (const value of values) this.checkElement(value, 'addAll');
    this.slot.set([...this.current('write'), ...values]);
  }

  update(values: readonly unknown[]): void {
    this.checkArray(values, 'update');
    for (const value of values) this.checkElement(value, 'update');
    // A copy: the caller may change its array afterwards.
    if (values.length === 0) this.slot.delete();
    else this.slot.set([...values]);
  }

  clear(): void {
    this.slot.delete();
  }

  private current(access: SlotAccess): readonly unknown[] {
    const stored = this.slot.get(access);
    if (stored === undefined) return [];
    if (!Array.isArray(stored)) throw new Error(`${this.slot.label}: the stored value of the current key is not a list`);
    return stored;
  }

  private checkArray(values: unknown, method: string): void {
    if (!Array.isArray(values)) throw new TypeError(`${this.slot.label}: ${method}() takes an array, got ${typeof values}`);
  }

  private checkElement(value: unknown, method: string): void {
    if (value === undefined) throw new TypeError(`${this.slot.label}: ${method}() cannot add undefined to a list`);
  }
}
