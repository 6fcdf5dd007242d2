import { type WatermarkStrategySpec } from '@weir/common/runtime';
import { sleep } from '@weir/protocol/runtime';
import type { Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';
import { SplitWatermarks } from '../runtime/time/split-watermarks.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

/** A generator split: the indices i with i mod `of` = `split`, from `next` on. */
interface GeneratorSplit {
  split: number;
  of: number;
  next: number;
}

/**
 * Emits fn(i) for its splits' indices, up to `count` (or forever), no faster
 * than its share of `ratePerSecond`. A fresh job has one split per subtask
 * (subtask k emits i with i mod parallelism = k). Its state is each split's
 * next index, so it replays exactly from a checkpoint, and splits move
 * between subtasks when a job is restored at another parallelism.
 */
export function generatorSource(ctx: OperatorContext, next: Emit): SourceOperator {
  const fn = ctx.fn as (index: number) => unknown;
  const { subtaskIndex, parallelism } = ctx.runtime;
  const count = (ctx.descriptor.config.count as number | null) ?? Number.POSITIVE_INFINITY;
  const rate = ctx.descriptor.config.ratePerSecond as number | null;
  const ratePerSubtask = rate ? rate / parallelism : 0;
  const splits: GeneratorSplit[] = ctx.restoredState
    ? (ctx.restoredState as GeneratorSplit[]).map((s) => ({ ...s }))
    : [{ split: subtaskIndex, of: parallelism, next: subtaskIndex }];
  const spec = ctx.descriptor.config.watermarks as WatermarkStrategySpec | undefined;
  const watermarks = spec ? new SplitWatermarks(spec, ctx.functions) : undefined;
  const splitId = (s: GeneratorSplit): string => `${s.split}/${s.of}`;
  for (const s of splits) if (s.next < count) watermarks?.addSplit(splitId(s));
  const time = ctx.time;
  let turn = 0;
  let emitted = 0;
  let startedAt = 0;
  const live = (): GeneratorSplit[] => splits.filter((s) => s.next < count);
  return {
    open() {
      startedAt = performance.now();
    },
    async emitBatch(max) {
      let budget = max;
      if (ratePerSubtask > 0) {
        const allowed = Math.floor(((performance.now() - startedAt) / 1000) * ratePerSubtask) - emitted;
        if (allowed <= 0) {
          await ctx.waitIdle(sleep(Math.min(100, Math.max(1, 1000 / ratePerSubtask))));
          return live().length > 0;
        }
        budget = Math.min(budget, allowed);
      }
      let active = live();
      while (budget > 0 && active.length > 0) {
        const split = active[turn++ % active.length]!;
        const end = Math.min(count, split.next + budget * split.of);
        const id = watermarks ? splitId(split) : '';
        for (let index = split.next; index < end; index += split.of) {
          let record: unknown;
          try {
            record = fn(index);
          } catch (error) {
            throw new UserFunctionError(ctx.descriptor, subtaskIndex, error);
          }
          split.next = index + split.of;
          emitted++;
          budget--;
          if (watermarks) {
            let timestamp: number;
            try {
              timestamp = watermarks.timestampOf(record);
            } catch (error) {
              throw new UserFunctionError(ctx.descriptor, subtaskIndex, error);
            }
            time.timestamp = timestamp;
            watermarks.onEvent(id, record, timestamp);
          }
          next(record);
        }
        if (split.next >= count) watermarks?.removeSplit(splitId(split));
        active = live();
      }
      return active.length > 0;
    },
    snapshotState() {
      return splits.map((s) => ({ ...s }));
    },
    ...(watermarks ? { watermark: () => watermarks.current() } : {}),
    splits() {
      return splits.map((s) => ({
        id: `generator-${splitId(s)}`,
        position: String(s.next),
        ...(watermarks ? { watermark: watermarks.splitWatermark(splitId(s)), idle: watermarks.isIdle(splitId(s)) } : {}),
      }));
    },
  };
}
