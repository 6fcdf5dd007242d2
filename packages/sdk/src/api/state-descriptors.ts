import type { ValueStateDescriptorSpec } from '@weir/common/job';

/**
 * Declares a ValueState: one value per key.
 *
 * @example
 * const count = new ValueStateDescriptor<number>('count', 0);
 * // in processElement: const s = ctx.getState(count); s.update((s.value() ?? 0) + 1);
 */
export class ValueStateDescriptor<T> implements ValueStateDescriptorSpec<T> {
  readonly kind = 'value' as const;
  readonly name: string;
  readonly defaultValue: T | undefined;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param defaultValue what `value()` returns for a key with no value yet
   */
  constructor(name: string, defaultValue?: T) {
    this.name = name;
    this.defaultValue = defaultValue;
  }
}
