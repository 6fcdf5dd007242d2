import {
  keyToString,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type ValueState,
  type ValueStateDescriptorSpec,
} from '@weir/common';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';
import type { KeyedStateBackend, StateTable } from '../runtime/state/keyed-state-backend.ts';

class BoundValueState implements ValueState<unknown> {
  private readonly table: StateTable;
  private readonly scope: { key: string };
  private readonly defaultValue: unknown;

  constructor(table: StateTable, scope: { key: string }, defaultValue: unknown) {
    this.table = table;
    this.scope = scope;
    this.defaultValue = defaultValue;
  }

  value(): unknown {
    const v = this.table.get(this.scope.key);
    return v === undefined ? this.defaultValue : v;
  }

  update(value: unknown): void {
    if (value === undefined) this.table.delete(this.scope.key);
    else this.table.set(this.scope.key, value);
  }

  clear(): void {
    this.table.delete(this.scope.key);
  }
}

/** Keyed process function: the user's function per record, with state scoped to the record's key. */
export function keyedProcessOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend): ChainedOperator {
  const fn = ctx.fn as KeyedProcessFunction<unknown, unknown, unknown>;
  const selector = ctx.keySelector!;
  const scope = { key: '' };
  const states = new Map<string, BoundValueState>();
  const out: Collector<unknown> = { collect: next };
  const context: KeyedProcessContext<unknown> & { currentKey: unknown } = {
    ...ctx.runtime,
    currentKey: undefined,
    getState<T>(descriptor: ValueStateDescriptorSpec<T>): ValueState<T> {
      let bound = states.get(descriptor.name);
      if (!bound) {
        bound = new BoundValueState(state.table(`value/${descriptor.name}`), scope, descriptor.defaultValue);
        states.set(descriptor.name, bound);
      }
      return bound as ValueState<T>;
    },
  };
  const wrap = (error: unknown): never => {
    throw error instanceof UserFunctionError ? error : new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
  };
  return {
    open() {
      try {
        fn.open?.(ctx.runtime);
      } catch (error) {
        wrap(error);
      }
    },
    process(record) {
      const key = selector(record);
      scope.key = keyToString(key);
      context.currentKey = key;
      try {
        fn.processElement(record, context, out);
      } catch (error) {
        wrap(error);
      }
    },
    close() {
      try {
        fn.close?.();
      } catch (error) {
        wrap(error);
      }
    },
  };
}
