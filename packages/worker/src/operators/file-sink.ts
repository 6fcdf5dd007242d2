import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';

/**
 * Writes records as JSON lines (or text) to `<dir>/part-<subtask>.jsonl`.
 * Each attempt rewrites its part file from the start; lines are written once
 * per batch.
 */
export function fileSink(ctx: OperatorContext): ChainedOperator {
  const directory = ctx.descriptor.config.directory as string;
  const text = ctx.descriptor.config.format === 'text';
  const file = join(directory, `part-${ctx.runtime.subtaskIndex}.${text ? 'txt' : 'jsonl'}`);
  let handle: FileHandle | undefined;
  let lines: string[] = [];
  return {
    async open() {
      await mkdir(directory, { recursive: true });
      handle = await open(file, 'w');
    },
    process(record) {
      lines.push(text ? String(record) : JSON.stringify(record));
    },
    async endBatch() {
      if (lines.length === 0) return;
      const chunk = lines.join('\n') + '\n';
      lines = [];
      await handle!.write(chunk);
    },
    async finish() {
      await handle?.sync();
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
