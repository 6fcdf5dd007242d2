// The inputs of a task's head operator (Flink's StreamOneInputProcessor and
// StreamTwoInputProcessor in one): which method takes the records of an
// input channel, by the channel's input index, and how their keys are found.
import type { TaskDeployment } from '@weir/protocol/runtime';
import type { ChainedOperator, Emit } from '../runtime/operator.ts';

/** One input of the head operator. */
export interface HeadInput {
  /** Takes one record of this input. */
  readonly process: Emit;
  /** The input's key selector, when keyed state is prefetched per frame. */
  readonly keyOf: ((record: unknown) => unknown) | undefined;
  /** Awaited after each record of this input when the operator leaves work for after a record (see ChainedOperator.afterProcess2). */
  readonly after?: () => Promise<void> | undefined;
}

/**
 * The head's inputs by input index: 0 for every one-input operator, 0 and 1
 * for a two-input one. `selector` resolves key selectors for prefetching
 * (undefined: the backend does not prefetch).
 */
export function inputsOf(d: TaskDeployment, head: ChainedOperator, selector: ((id: string) => (record: unknown) => unknown) | undefined): HeadInput[] {
  const keyOf = (inputIndex: number) => {
    const id = d.inputs.find((input) => input.inputIndex === inputIndex)?.keySelector;
    return id && selector ? selector(id) : undefined;
  };
  const inputs: HeadInput[] = [{ process: head.process, keyOf: keyOf(0) }];
  if (d.inputs.some((input) => input.inputIndex === 1)) {
    const process2 = head.process2;
    if (!process2) throw new Error(`operator ${d.operators[0]!.id} (${d.operators[0]!.kind}) has one input, but the deployment feeds it a second one`);
    inputs.push({ process: process2, keyOf: keyOf(1), ...(head.afterProcess2 ? { after: head.afterProcess2.bind(head) } : {}) });
  }
  return inputs;
}
