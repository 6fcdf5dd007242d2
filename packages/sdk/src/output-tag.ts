import { ValidationError } from '@weir/common';

/**
 * Names a side output of an operator (e.g. the late data of a window):
 * `stream.getSideOutput(tag)` reads it as a stream of its own.
 *
 * ```ts
 * const late = new OutputTag<Bid>('late-bids');
 * const counts = bids.keyBy(...).window(...).sideOutputLateData(late).aggregate(...);
 * counts.getSideOutput(late).writeToFile(dir);
 * ```
 */
export class OutputTag<T> {
  readonly id: string;
  declare private readonly _type: T;

  constructor(id: string) {
    if (!id) throw new ValidationError('an OutputTag needs a non-empty id');
    this.id = id;
  }
}
