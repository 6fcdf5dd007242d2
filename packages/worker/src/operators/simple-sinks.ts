import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

/** Drops every record. */
export function discardSink(): ChainedOperator {
  return { process() {} };
}

/** Prints JSON lines on stdout, once per batch, waiting when stdout is full. */
export function stdoutSink(): ChainedOperator {
  let lines: string[] = [];
  return {
    process(record) {
      lines.push(typeof record === 'string' ? record : JSON.stringify(record));
    },
    async endBatch() {
      if (lines.length === 0) return;
      const chunk = lines.join('\n') + '\n';
      lines = [];
      if (!process.stdout.write(chunk)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
    },
  };
}

/** Calls the user's function per record; a returned promise is awaited before the next. */
export function forEachSink(ctx: OperatorContext): ChainedOperator {
  const fn = ctx.fn as (value: unknown) => unknown;
  let batch: unknown[] = [];
  const fail = (error: unknown): never => {
    throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
  };
  return {
    process(record) {
      batch.push(record);
    },
    async endBatch() {
      const records = batch;
      batch = [];
      for (const record of records) {
        let result: unknown;
        try {
          result = fn(record);
        } catch (error) {
          fail(error);
        }
        if (result instanceof Promise) await result.catch(fail);
      }
    },
  };
}
