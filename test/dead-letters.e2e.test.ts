// Dead letters exactly once: with checkpoints, dead-letter files are committed
// with them like a sink's, so each bad record appears once however often the
// job restarts (workers SIGKILLed, a transient failure); and the per-operator
// error policy: 'dead-letter' goes on, 'fail' fails the task.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-dead-letters-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

interface Letter {
  reason: string;
  raw: string;
  origin: Record<string, unknown>;
  error?: { message: string; stack?: string };
}

/** The committed dead letters in `dir`: the files directly in it (not the in-progress or pending ones). */
async function committedLetters(dir: string): Promise<Letter[]> {
  const letters: Letter[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    for (const line of (await readFile(join(dir, entry.name), 'utf8')).split('\n')) if (line) letters.push(JSON.parse(line) as Letter);
  }
  return letters;
}

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', ...args.slice(0, 1), '--no-typecheck', '-d', '--json', ...args.slice(1)]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

describe('dead letters exactly once', () => {
  it('each bad record is a dead letter once and the counts are exact while workers are SIGKILLed', async () => {
    // 20 s of input at 10,000 events/s: time for three kills and recoveries before the end.
    const events = 200_000;
    const keys = 5;
    const badEvery = 1000;
    const deadLetters = join(work, 'killed-dead-letters');
    const output = join(work, 'killed-out');
    const jobId = await submit(['test/fixtures/dead-letter-counts-job.ts', '-p', '2', '--', String(events), String(keys), '10000', String(badEvery), 'dead-letter', deadLetters, output]);
    for (let kill = 0; kill < 3; kill++) {
      const before = (await cluster.completedCheckpoints(jobId)).length;
      await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > before || (await cluster.status(jobId)).status === 'FINISHED' ? true : undefined), 60_000, 'a checkpoint');
      const view = await cluster.status(jobId);
      if (view.status === 'FINISHED') break;
      const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[0]!.subtasks[kill % 2]!.workerId);
      if (victim) process.kill(victim.pid, 'SIGKILL');
      // The next kill comes after the job restarted (and, above, completed a checkpoint).
      await eventually(async () => ((await cluster.status(jobId)).restarts > view.restarts ? true : undefined), 60_000, 'the job to restart');
    }
    const view = await cluster.waitForEnd(jobId, 180_000);
    expect(view.status).toBe('FINISHED');
    expect(view.restarts).toBeGreaterThanOrEqual(2);

    const bad = Array.from({ length: events }, (_, i) => i).filter((i) => i % badEvery === 3);
    const letters = await committedLetters(deadLetters);
    expect(letters.map((l) => Number(l.raw)).sort((a, b) => a - b)).toEqual(bad);
    expect(letters[0]).toMatchObject({ reason: expect.stringMatching(/^user function threw: event \d+ is bad$/), origin: { operator: 'Parse', uid: 'parse' } });
    expect(letters[0]!.error!.stack).toContain('dead-letter-counts-job.ts');

    const expected = new Map<string, number>();
    for (let i = 0; i < events; i++) if (i % badEvery !== 3) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
    expect(checkExactCounts(await readJsonLines(output), expected)).toEqual([]);
  }, 300_000);

  it('malformed lines are dead letters once after the job restarted from scratch five times', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(i === 500 || i === 1500 ? `{"i": ${i}, broken` : JSON.stringify({ i }));
    const input = join(work, 'transient.jsonl');
    await writeFile(input, lines.join('\n') + '\n');
    const deadLetters = join(work, 'transient-dead-letters');
    const output = join(work, 'transient-out');
    const result = await cluster.run(['run', 'test/fixtures/json-lines-transient-job.ts', '--no-typecheck', '--', '--input', input, '--output', output, '--dead-letters', deadLetters, '--marker', join(work, 'transient-marker'), '--fail-attempts', '5', '--last', '1999']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const view = await cluster.status(/Job ([0-9a-f]{32})/.exec(result.stdout)![1]!);
    expect(view.restarts).toBe(5);
    const letters = await committedLetters(deadLetters);
    expect(letters.map((l) => l.raw).sort()).toEqual(['{"i": 1500, broken', '{"i": 500, broken']);
    const records = await readJsonLines<{ i: number }>(output);
    expect(records).toHaveLength(1998);
    expect(new Set(records.map((r) => r.i)).size).toBe(1998);
  });
});

describe('error policies', () => {
  it("'fail' fails the task on a user function's error, and the restart strategy applies", async () => {
    const output = join(work, 'fail-out');
    const result = await cluster.run(['run', 'test/fixtures/dead-letter-counts-job.ts', '--no-typecheck', '--restart-strategy', 'fixed-delay:attempts=1,delay=100ms', '--', '2000', '3', '100000', '1000', 'fail', join(work, 'fail-dead-letters'), output]);
    expect(result.code).toBe(1);
    const view = await cluster.status(/Job ([0-9a-f]{32})/.exec(result.stdout)![1]!);
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(1);
    expect(view.error).toMatch(/user function of operator 'Parse' \(parse\), subtask \d+, threw: event 3 is bad/);
    expect(view.deadLetters).toBe(0);
  });

  it("'dead-letter' goes on and counts the dead letters in weir status", async () => {
    const deadLetters = join(work, 'policy-dead-letters');
    const output = join(work, 'policy-out');
    const result = await cluster.run(['run', 'test/fixtures/dead-letter-counts-job.ts', '--no-typecheck', '--', '5000', '3', '100000', '1000', 'dead-letter', deadLetters, output]);
    expect(result.code, result.stderr).toBe(0);
    const view = await cluster.status(/Job ([0-9a-f]{32})/.exec(result.stdout)![1]!);
    expect(view.restarts).toBe(0);
    expect(view.deadLetters).toBe(5);
    expect((await committedLetters(deadLetters)).map((l) => Number(l.raw)).sort((a, b) => a - b)).toEqual([3, 1003, 2003, 3003, 4003]);
    expect((await readJsonLines(output)).length).toBe(4995);
  });
});
