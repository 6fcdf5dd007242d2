import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperatorDescriptor } from '@weir/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { testOperatorContext } from '../testing/operator-context.ts';
import { fileSink } from './file-sink.ts';
import { transactionalFileSink } from './transactional-file-sink.ts';

let root: string;
let dirs = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-file-sinks-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function context(config: Record<string, unknown>, extra: { checkpointing?: boolean; token?: string; restoredState?: unknown[]; restoredCheckpointId?: number } = {}): OperatorContext {
  const descriptor: OperatorDescriptor = { id: 'sink', name: 'FileSink', kind: 'sink.file', config: { format: 'jsonl', ...config } };
  const ctx = testOperatorContext({ descriptor, checkpointing: extra.checkpointing, restoredState: extra.restoredState, restoredCheckpointId: extra.restoredCheckpointId });
  return { ...ctx, deployment: { ...ctx.deployment, attemptToken: extra.token ?? 'a0' } };
}

/** Writes `n` records in one batch: each line is `{"i":<i>}` plus a newline. */
async function batch(sink: ChainedOperator, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) sink.process({ i });
  await sink.endBatch?.();
}

async function lines(dir: string, name: string): Promise<number[]> {
  return (await readFile(join(dir, name), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
}

describe('file sink without checkpoints', () => {
  it('rolls to the next part by size, never splitting a batch, and a new attempt starts its parts over', async () => {
    const directory = join(root, `plain-${dirs++}`);
    const sink = fileSink(context({ directory, maxPartSizeBytes: 40 }));
    await sink.open?.();
    await batch(sink, 0, 3); // 3 lines of 8 bytes: 24 bytes, under the limit
    await batch(sink, 3, 3); // written to the same part (48 bytes): a batch is never split
    await batch(sink, 6, 1); // the part is over 40 bytes: the next part
    await sink.finish?.();
    await sink.close?.();
    expect((await readdir(directory)).sort()).toEqual(['part-0-0.jsonl', 'part-0-1.jsonl']);
    expect(await lines(directory, 'part-0-0.jsonl')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await lines(directory, 'part-0-1.jsonl')).toEqual([6]);

    const again = fileSink(context({ directory, maxPartSizeBytes: 40, partPrefix: 'part' }));
    await again.open?.();
    await batch(again, 100, 1);
    await again.close?.();
    expect(await readdir(directory)).toEqual(['part-0-0.jsonl']);
    expect(await lines(directory, 'part-0-0.jsonl')).toEqual([100]);
  });

  it('names parts with the configured prefix and suffix', async () => {
    const directory = join(root, `plain-${dirs++}`);
    const sink = fileSink(context({ directory, format: 'text', partPrefix: 'orders', partSuffix: '.log' }));
    await sink.open?.();
    sink.process('one');
    await sink.endBatch?.();
    await sink.close?.();
    expect(await readdir(directory)).toEqual(['orders-0-0.log']);
    expect(await readFile(join(directory, 'orders-0-0.log'), 'utf8')).toBe('one\n');
  });
});

describe('transactional file sink', () => {
  it('pre-commits every part rolled since the last checkpoint and commits them when it completes', async () => {
    const directory = join(root, `tx-${dirs++}`);
    const sink = transactionalFileSink(context({ directory, maxPartSizeBytes: 20 }, { checkpointing: true }));
    await sink.open?.();
    await batch(sink, 0, 3);
    await batch(sink, 3, 3);
    await batch(sink, 6, 3);
    expect((await readdir(directory)).filter((n) => !n.startsWith('.'))).toEqual([]);
    const state = (await sink.snapshotState?.(7)) as { name: string; checkpointId: number }[];
    expect(state.map((p) => p.name)).toEqual(['part-0-a0-0-cp7.jsonl', 'part-0-a0-1-cp7.jsonl', 'part-0-a0-2-cp7.jsonl']);
    // Nothing is visible before the checkpoint completes.
    expect((await readdir(directory)).filter((n) => !n.startsWith('.'))).toEqual([]);
    await sink.notifyCheckpointComplete?.(7);
    expect((await readdir(directory)).filter((n) => !n.startsWith('.')).sort()).toEqual(state.map((p) => p.name));
    expect(await lines(directory, 'part-0-a0-2-cp7.jsonl')).toEqual([6, 7, 8]);
    // After a checkpoint the parts start again from a fresh one, numbered on.
    await batch(sink, 9, 1);
    expect((await sink.snapshotState?.(8)) as { name: string }[]).toEqual([expect.objectContaining({ name: 'part-0-a0-3-cp8.jsonl' })]);
    await sink.close?.();
  });

  it("on restore commits the restored checkpoint's parts and deletes what the failed attempt left", async () => {
    const directory = join(root, `tx-${dirs++}`);
    const first = transactionalFileSink(context({ directory, maxPartSizeBytes: 20 }, { checkpointing: true }));
    await first.open?.();
    await batch(first, 0, 3);
    const restoredState = (await first.snapshotState?.(1)) as unknown[];
    await batch(first, 3, 3); // rolled over after checkpoint 1: never committed
    await batch(first, 6, 3);
    await first.snapshotState?.(2); // pre-committed for a checkpoint that never completes
    await batch(first, 9, 3); // in progress when the attempt dies
    const second = transactionalFileSink(context({ directory, maxPartSizeBytes: 20 }, { checkpointing: true, token: 'b1', restoredState, restoredCheckpointId: 1 }));
    await second.open?.();
    expect((await readdir(directory)).filter((n) => !n.startsWith('.'))).toEqual(['part-0-a0-0-cp1.jsonl']);
    expect(await readdir(join(directory, '.pending'))).toEqual([]);
    expect(await readdir(join(directory, '.in-progress'))).toEqual([]);
    await second.close?.();
    await first.close?.();
  });
});
