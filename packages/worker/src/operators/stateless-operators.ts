import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

type Fn = (value: unknown) => unknown;

/** map: one record in, one out. */
export function mapOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const fn = ctx.fn as Fn;
  return {
    process(record) {
      let out: unknown;
      try {
        out = fn(record);
      } catch (error) {
        throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
      }
      next(out);
    },
  };
}

/** filter: keeps records the predicate accepts. */
export function filterOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const fn = ctx.fn as Fn;
  return {
    process(record) {
      let keep: unknown;
      try {
        keep = fn(record);
      } catch (error) {
        throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
      }
      if (keep) next(record);
    },
  };
}

/** flatMap: any iterable the function returns is emitted element by element. */
export function flatMapOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const fn = ctx.fn as (value: unknown) => Iterable<unknown> | null | undefined;
  return {
    process(record) {
      let out: Iterable<unknown> | null | undefined;
      try {
        out = fn(record);
      } catch (error) {
        throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
      }
      if (out == null) return;
      if (Array.isArray(out)) {
        for (let i = 0; i < out.length; i++) next(out[i]);
      } else {
        for (const item of out) next(item);
      }
    },
  };
}

/** union: records of every input pass through unchanged. */
export function passThroughOperator(_ctx: OperatorContext, next: Emit): ChainedOperator {
  return { process: next };
}
