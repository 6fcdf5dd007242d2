import { ValidationError, type OutputTagSpec } from '@weir/common';

/**
 * Names a side output of an operator (e.g. the late data of a window):
 * `stream.getSideOutput(tag)` reads it as a stream of its own.
 *
 * ```ts
 * const late = new OutputTag<Bid>('late-bids');
 * const counts = bids.keyBy(...).window(...).sideOutputLateData(late).aggregate(...);
 * counts.getSideOutput(late).writeToFile(dir);
 * ```
 *
 * Process functions emit to one with `ctx.output(tag, value)`.
 */
export class OutputTag<T> implements OutputTagSpec<T> {
  readonly id: string;
  declare private readonly _type: T;
  /** Type-level marker of the element type (for `ctx.output(tag, value)`); never set at runtime. */
  declare readonly __outputType?: (value: T) => T;

  constructor(id: string) {
    if (!id) throw new ValidationError('an OutputTag needs a non-empty id');
    this.id = id;
  }
}
