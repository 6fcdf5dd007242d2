import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperatorDescriptor } from '@weir/common';
import { DeadLetterOutput, splitRestoredState } from './dead-letter-output.ts';
import { applyErrorPolicy } from '../stream-task/error-policy.ts';
import { UserFunctionError } from './user-function-error.ts';
import type { PendingFile } from './two-phase-commit-files.ts';

const root = mkdtempSync(join(tmpdir(), 'weir-dead-letters-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** The committed dead letters in `dir` (files directly in it, not in-progress or pending ones). */
function committed(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .flatMap((e) => readFileSync(join(dir, e.name), 'utf8').split('\n').filter(Boolean))
    .map((line) => (JSON.parse(line) as { raw: string }).raw)
    .sort();
}

const letter = (raw: string) => ({ reason: 'bad', origin: {}, raw });

describe('dead letters with checkpoints', () => {
  it('become visible only when their checkpoint completes', async () => {
    const dir = join(root, `d${dirs++}`);
    const out = new DeadLetterOutput(dir, 'parse', 0, { token: 'a1', restored: [], restoredCheckpointId: undefined });
    await out.open();
    out.write(letter('x'));
    out.flush();
    const state = await out.snapshotState(1);
    expect(state).toHaveLength(1);
    expect(committed(dir)).toEqual([]);
    out.write(letter('y'));
    out.flush();
    await out.notifyCheckpointComplete(1);
    expect(committed(dir)).toEqual(['x']);
    await out.close();
  });

  it('a restored attempt commits what the checkpoint pre-committed and drops what failed attempts wrote after it', async () => {
    const dir = join(root, `d${dirs++}`);
    const first = new DeadLetterOutput(dir, 'parse', 0, { token: 'a1', restored: [], restoredCheckpointId: undefined });
    first.write(letter('before-cp1'));
    const state = await first.snapshotState(1);
    first.write(letter('after-cp1'));
    await first.snapshotState(2); // checkpoint 2 never completes
    first.write(letter('in-progress'));
    first.flush();
    await first.close();

    const { deadLetters, operatorState } = splitRestoredState([{ split: 1 }, ...state]);
    expect(operatorState).toEqual([{ split: 1 }]);
    const second = new DeadLetterOutput(dir, 'parse', 0, { token: 'a2', restored: deadLetters, restoredCheckpointId: 1 });
    await second.open();
    expect(committed(dir)).toEqual(['before-cp1']);
    expect(readdirSync(join(dir, '.pending'))).toEqual([]);
    expect(readdirSync(join(dir, '.in-progress'))).toEqual([]);
    // Replayed after the restore: written once more, committed once.
    second.write(letter('after-cp1'));
    await second.snapshotState(3);
    await second.notifyCheckpointComplete(3);
    expect(committed(dir)).toEqual(['after-cp1', 'before-cp1']);
  });

  it('leaves files of other operators alone', async () => {
    const dir = join(root, `d${dirs++}`);
    const other = new DeadLetterOutput(dir, 'other', 0, { token: 'a1', restored: [], restoredCheckpointId: undefined });
    other.write(letter('theirs'));
    await other.snapshotState(1);
    const mine = new DeadLetterOutput(dir, 'parse', 0, { token: 'a2', restored: [], restoredCheckpointId: 0 });
    await mine.open();
    expect(readdirSync(join(dir, '.pending'))).toHaveLength(1);
  });

  it('without checkpoints, are appended at once', () => {
    const dir = join(root, `d${dirs++}`);
    const out = new DeadLetterOutput(dir, 'parse', 0);
    out.write(letter('x'));
    out.flush();
    expect(committed(dir)).toEqual(['x']);
  });

  it('splitRestoredState keeps an absent state absent', () => {
    expect(splitRestoredState(undefined)).toEqual({ operatorState: undefined, deadLetters: [] as PendingFile[] });
  });
});

describe("the 'dead-letter' error policy", () => {
  const descriptor: OperatorDescriptor = { id: 'parse', name: 'Parse', kind: 'map', config: { onError: 'dead-letter' } };

  it("sends a record its own function failed on to the dead letters, with the error, and goes on", () => {
    const dir = join(root, `d${dirs++}`);
    const out = new DeadLetterOutput(dir, 'parse', 0);
    const emitted: unknown[] = [];
    const op = applyErrorPolicy({ process: (r) => {
      if (r === 2) throw new UserFunctionError(descriptor, 0, new Error('two is bad'));
      emitted.push(r);
    } }, descriptor, 0, out);
    for (const r of [1, 2, 3]) op.process(r);
    out.flush();
    expect(emitted).toEqual([1, 3]);
    const [line] = readFileSync(join(dir, 'parse-0.jsonl'), 'utf8').split('\n');
    const parsed = JSON.parse(line!) as { reason: string; raw: string; origin: Record<string, unknown>; error: { message: string; stack: string } };
    expect(parsed).toMatchObject({ reason: 'user function threw: two is bad', raw: '2', origin: { operator: 'Parse', uid: 'parse', subtask: 0 }, error: { message: 'two is bad' } });
    expect(parsed.error.stack).toContain('two is bad');
  });

  it('lets errors of later operators and NonRecoverableErrors through', () => {
    const out = new DeadLetterOutput(join(root, `d${dirs++}`), 'parse', 0);
    const later: OperatorDescriptor = { ...descriptor, id: 'later' };
    const downstream = applyErrorPolicy({ process: () => { throw new UserFunctionError(later, 0, new Error('later')); } }, descriptor, 0, out);
    expect(() => downstream.process(1)).toThrow(/later/);
    const fatal = Object.assign(new Error('fatal'), { nonRecoverable: true });
    const own = applyErrorPolicy({ process: () => { throw new UserFunctionError(descriptor, 0, fatal); } }, descriptor, 0, out);
    expect(() => own.process(1)).toThrow(/fatal/);
    expect(out.count).toBe(0);
  });

  it("'fail' leaves the operator as it is", () => {
    const op = { process: () => {} };
    expect(applyErrorPolicy(op, { ...descriptor, config: {} }, 0, new DeadLetterOutput(root, 'x', 0)).process).toBe(op.process);
  });
});
