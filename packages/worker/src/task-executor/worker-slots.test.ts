// Tests of a worker's slot accounting with slot sharing: subtasks of one slot
// take it once, and threads prepared for a restart count as the slots they fill.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger, type ExecutionState, type TaskDeployment } from '@weir/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTaskDeployment } from '../testing/task-deployment.ts';
import { SlotThreadPool } from './slot-thread-pool.ts';
import type { SubtaskThread } from './subtask-thread.ts';
import { slotKeyOf, WorkerSlots } from './worker-slots.ts';

let dir: string;
let pool: SlotThreadPool;
let running: { state: ExecutionState; deployment: TaskDeployment }[];

/** Subtask `index` of `vertex` in slot sharing group `group` of job-1, attempt 0. */
function deployment(vertex: string, index: number, group = 'default'): TaskDeployment {
  return { ...testTaskDeployment(vertex, 'a1', [], []), subtaskIndex: index, parallelism: 4, slotSharingGroup: group };
}

function slotsOf(count: number): WorkerSlots {
  return new WorkerSlots(count, pool, () => running as unknown as SubtaskThread[]);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-worker-slots-'));
  await writeFile(join(dir, 'entry.mjs'), 'export {};');
  await writeFile(join(dir, 'job.mjs'), 'export default {};');
  pool = new SlotThreadPool(pathToFileURL(join(dir, 'entry.mjs')), { maxOldGenerationSizeMb: 64 }, createLogger('test'));
  running = [];
});

afterEach(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

describe('WorkerSlots', () => {
  it('admits three subtasks that share one slot into a worker with one slot, and refuses a second slot', () => {
    const slots = slotsOf(1);
    const shared = [deployment('src', 0), deployment('count', 0), deployment('sink', 0)];
    expect(new Set(shared.map(slotKeyOf)).size).toBe(1);
    slots.admit(shared, 'w1');
    running.push(...shared.map((d) => ({ state: 'RUNNING' as const, deployment: d })));
    expect(slots.inUse().size).toBe(1);
    expect(slots.free()).toBe(0);
    expect(slots.threadsPerSlotOf('job-1')).toBe(3);
    expect(() => slots.admit([deployment('src', 1)], 'w1')).toThrow('worker w1 has 0 free slots, asked to run 1 subtasks in 1 more slots');
    expect(() => slots.admit([deployment('src', 0, 'other')], 'w1')).toThrow(/0 free slots/);
    // Ended subtasks free their slot.
    for (const r of running) r.state = 'CANCELED';
    expect(slots.free()).toBe(1);
  });

  it('counts threads prepared for a restart as the slots they would fill', async () => {
    const slots = slotsOf(2);
    slots.admit([deployment('src', 0), deployment('sink', 0), deployment('src', 1), deployment('sink', 1)], 'w1');
    expect(slots.threadsPerSlotOf('job-1')).toBe(2);
    pool.prepare('job-1', join(dir, 'job.mjs'), 3);
    expect(slots.preparedSlotsOf('job-1')).toBe(2);
    expect(slots.free()).toBe(0);
    pool.prepare('job-2', join(dir, 'job.mjs'), 1);
    expect(slots.free()).toBe(-1);
    slots.shrinkPrepared();
    expect(slots.free()).toBe(0);
    expect(pool.size).toBeLessThan(4);
    slots.forget('job-1');
    expect(slots.threadsPerSlotOf('job-1')).toBe(1);
  });
});
