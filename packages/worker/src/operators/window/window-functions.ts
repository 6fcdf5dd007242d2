import type { AggregateFunction, Collector } from '@weir/common/runtime';
import type { OperatorContext } from '../../runtime/operator.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { privateCopy } from '../state/private-copy.ts';
import type { Ownership } from './ownership.ts';

/** What a process window function sees besides the elements. */
export interface WindowFunctionContext {
  window: unknown;
  currentWatermark: number;
  currentProcessingTime: number;
}

type ProcessWindowFn = (key: unknown, context: WindowFunctionContext, elements: unknown[], out: Collector<unknown>) => void;

/** The operator's `fn` as the SDK builds it. */
interface WindowFunctionsSpec {
  reduce?: (a: unknown, b: unknown) => unknown;
  aggregate?: AggregateFunction<unknown, unknown, unknown>;
  process?: ProcessWindowFn;
}

/**
 * A window's contents and how they become results: the reduced value, the
 * accumulator, or the list of elements. Contents a heap snapshot may share
 * are never changed in place: `add` and `merge` work on the operator's own
 * copies (see {@link Ownership}), and evaluation gets a private copy.
 */
export interface WindowFunctions {
  /** Contents after adding `element` (`current` undefined: a new window); may change `current` if the operator owns it. */
  add(current: unknown, element: unknown): unknown;
  /** Contents of two merging windows as one (`a` is the earlier window's); may change both if owned. */
  merge(a: unknown, b: unknown): unknown;
  /** Evaluates the window: collects its results into `out`. */
  emit(key: unknown, context: WindowFunctionContext, contents: unknown, out: Collector<unknown>): void;
}

/** Builds the window functions of a 'keyed.window' operator from its `fn`. */
export function windowFunctions(ctx: OperatorContext, own: Ownership): WindowFunctions {
  const spec = ctx.fn as WindowFunctionsSpec | undefined;
  const wrap = (error: unknown): never => {
    throw error instanceof UserFunctionError ? error : new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
  };
  const call = <R>(f: () => R): R => {
    try {
      return f();
    } catch (error) {
      return wrap(error);
    }
  };
  const process = spec?.process;
  const evaluate = (key: unknown, context: WindowFunctionContext, values: unknown[], out: Collector<unknown>): void => {
    if (process) call(() => process(key, context, values, out));
    else for (const value of values) out.collect(value);
  };
  const defined = (what: string, value: unknown): unknown => {
    if (value === undefined) wrap(new TypeError(`${what} returned undefined; it must return a value to keep`));
    return value;
  };

  if (typeof spec?.reduce === 'function') {
    const reduce = spec.reduce;
    const combine = (a: unknown, b: unknown): unknown => own.claim(defined('the window reduce function', call(() => reduce(own.deep(a), b))));
    return {
      add: (current, element) => (current === undefined ? element : combine(current, element)),
      merge: (a, b) => combine(a, own.deep(b)),
      emit: (key, context, contents, out) => evaluate(key, context, [privateCopy(contents)], out),
    };
  }
  if (typeof spec?.aggregate === 'object' && spec.aggregate !== null) {
    const fn = spec.aggregate;
    return {
      add(current, element) {
        const accumulator = current === undefined ? defined('createAccumulator()', call(() => fn.createAccumulator())) : own.deep(current);
        return own.claim(defined("the aggregate function's add()", call(() => fn.add(element, accumulator))));
      },
      merge(a, b) {
        const merge = fn.merge;
        if (typeof merge !== 'function') {
          return wrap(new TypeError('session windows merge: the AggregateFunction given to aggregate() needs merge(a, b) to combine two accumulators'));
        }
        return own.claim(defined("the aggregate function's merge()", call(() => merge.call(fn, own.deep(a), own.deep(b)))));
      },
      emit: (key, context, contents, out) => evaluate(key, context, [call(() => fn.getResult(privateCopy(contents)))], out),
    };
  }
  if (typeof process === 'function') {
    return {
      add(current, element) {
        if (current === undefined) return own.claim([element]);
        const elements = own.shallow(current as unknown[]);
        elements.push(element);
        return elements;
      },
      merge(a, b) {
        const elements = own.shallow(a as unknown[]);
        for (const element of b as unknown[]) elements.push(element);
        return elements;
      },
      emit: (key, context, contents, out) => evaluate(key, context, privateCopy(contents as unknown[]), out),
    };
  }
  throw new Error(`window operator '${ctx.descriptor.name}' has no window function: end the windowed stream with reduce(), aggregate() or process()`);
}
