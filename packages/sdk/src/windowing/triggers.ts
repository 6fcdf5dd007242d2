import { ValidationError } from '@weir/common';
import type { TriggerSpec } from './window-types.ts';

/**
 * Decides when a window is evaluated (Flink's Trigger; the built-in ones
 * only). Each window assigner has a default: event-time windows fire when the
 * watermark passes their end, processing-time windows when the clock does,
 * global windows never. `.trigger(t)` replaces it.
 */
export class Trigger<W = unknown> {
  /** @internal */
  readonly spec: TriggerSpec;
  /** Type-level marker: a trigger for any window (`unknown`) fits every window type. Never set at runtime. */
  declare readonly __windowType?: (window: W) => void;

  /** @internal */
  protected constructor(spec: TriggerSpec) {
    this.spec = spec;
  }

  /** For operator names. */
  toString(): string {
    return describeTrigger(this.spec);
  }
}

/** @internal A trigger's name as operator names show it, e.g. `PurgingTrigger(CountTrigger(10))`. */
export function describeTrigger(spec: TriggerSpec): string {
  const inner = spec.kind === 'count' ? `CountTrigger(${spec.count})` : spec.kind === 'never' ? 'NeverTrigger' : spec.kind === 'event-time' ? 'EventTimeTrigger' : 'ProcessingTimeTrigger';
  return spec.purge ? `PurgingTrigger(${inner})` : inner;
}

/** Fires every `n` elements of a window (the contents stay unless wrapped in {@link PurgingTrigger}). */
export class CountTrigger<W = unknown> extends Trigger<W> {
  static of<W = unknown>(n: number): CountTrigger<W> {
    if (!Number.isInteger(n) || n < 1) throw new ValidationError(`CountTrigger.of needs a whole number of elements >= 1, got ${n}`);
    return new CountTrigger<W>({ kind: 'count', count: n, purge: false });
  }
}

/** Fires when the watermark passes the window's end (the default of event-time windows); late elements fire again at once. */
export class EventTimeTrigger<W = unknown> extends Trigger<W> {
  static create<W = unknown>(): EventTimeTrigger<W> {
    return new EventTimeTrigger<W>({ kind: 'event-time', purge: false });
  }
}

/** Fires when the wall clock passes the window's end (the default of processing-time windows). */
export class ProcessingTimeTrigger<W = unknown> extends Trigger<W> {
  static create<W = unknown>(): ProcessingTimeTrigger<W> {
    return new ProcessingTimeTrigger<W>({ kind: 'processing-time', purge: false });
  }
}

/** Wraps a trigger so every firing also clears the window's contents. */
export class PurgingTrigger<W = unknown> extends Trigger<W> {
  static of<W>(trigger: Trigger<W>): PurgingTrigger<W> {
    if (!(trigger instanceof Trigger)) throw new ValidationError('PurgingTrigger.of takes a trigger, e.g. PurgingTrigger.of(CountTrigger.of(100))');
    return new PurgingTrigger<W>({ ...trigger.spec, purge: true });
  }
}
