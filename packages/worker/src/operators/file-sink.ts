import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { OpenPart, partFileConfig, plainPartName } from '../runtime/part-files.ts';

/**
 * Writes records as JSON lines (or text) to `<dir>/<prefix>-<subtask>-<n><suffix>`
 * for a job without checkpoints, rolling to the next part by size or age.
 * Each attempt starts its subtask's parts over (it deletes the earlier
 * attempt's); lines are written once per batch.
 */
export function fileSink(ctx: OperatorContext): ChainedOperator {
  const config = partFileConfig(ctx.descriptor.config);
  const names = plainPartName(config);
  const subtask = ctx.runtime.subtaskIndex;
  let part: OpenPart | undefined;
  let sequence = 0;
  let lines: string[] = [];

  async function closePart(): Promise<void> {
    await part?.handle.sync();
    await part?.handle.close();
    part = undefined;
  }

  return {
    async open() {
      await mkdir(config.directory, { recursive: true });
      for (const name of await readdir(config.directory)) {
        if (names.pattern.exec(name)?.[1] === String(subtask)) await unlink(join(config.directory, name));
      }
    },
    process(record) {
      lines.push(config.text ? String(record) : JSON.stringify(record));
    },
    async endBatch() {
      if (lines.length === 0) return;
      const chunk = lines.join('\n') + '\n';
      lines = [];
      if (part?.shouldRoll(config)) await closePart();
      if (!part) {
        const name = names.name(subtask, sequence++);
        part = new OpenPart(name, await open(join(config.directory, name), 'w'));
      }
      await part.write(chunk, join(config.directory, part.name));
    },
    async finish() {
      await part?.handle.sync();
    },
    async close() {
      await part?.handle.close();
      part = undefined;
    },
  };
}
