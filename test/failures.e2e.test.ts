// Failures on a real cluster: user code that throws, malformed input, and a
// worker process SIGKILLed in the middle of a job.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { REPO_ROOT } from './helpers/weir-cli.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-failures-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});


describe('user code that throws', () => {
  it('fails the job with the user stack trace in weir status, and the cluster keeps running', async () => {
    const result = await cluster.run(['run', 'test/fixtures/throwing-job.ts']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED');
    const jobId = /Job ([0-9a-f]{32})/.exec(result.stdout)![1]!;

    const status = await cluster.run(['status', jobId]);
    expect(status.stdout).toContain('record 500 is poisoned');
    // The stack names the user's source file where it was submitted from, and function (source maps from the bundle),
    // once, with none of the runtime's frames.
    expect(status.stdout).toContain(`at checkRecord (${join(REPO_ROOT, 'test/fixtures/throwing-job.ts')}:`);
    expect(status.stdout.split('at checkRecord')).toHaveLength(2);
    expect(status.stdout).not.toContain('.slot-cache');
    expect(status.stdout).not.toContain('Caused by');
    const view = await cluster.status(jobId);
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(1);

    // The cluster is still healthy: a good job runs afterwards.
    const output = join(work, 'after-failure');
    const ok = await cluster.run(['run', 'examples/keyed-counts.ts', '-p', '2', '--', '--events', '1000', '--keys', '3', '--output', output]);
    expect(ok.code).toBe(0);
    expect((await cluster.cluster()).workers).toHaveLength(2);
  });
});

describe('malformed input', () => {
  it('sends malformed JSON lines to the dead-letter dir with the reason, counts them, and processes the rest', async () => {
    const lines: string[] = [];
    const expected = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      if (i % 250 === 7) {
        lines.push(`{"key": "k${i % 5}", broken`);
        continue;
      }
      lines.push(JSON.stringify({ key: `k${i % 5}`, i }));
      expected.set(`k${i % 5}`, (expected.get(`k${i % 5}`) ?? 0) + 1);
    }
    const input = join(work, 'input.jsonl');
    await writeFile(input, lines.join('\n') + '\n');
    const deadLetters = join(work, 'dead-letters');
    const output = join(work, 'json-out');
    const result = await cluster.run(['run', 'test/fixtures/json-lines-job.ts', '-p', '2', '--', '--input', input, '--output', output, '--dead-letters', deadLetters]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Dead letters: 12');

    const last = new Map<string, number>();
    for (const r of await readJsonLines<{ key: string; n: number }>(output)) last.set(r.key, r.n);
    expect(Object.fromEntries(last)).toEqual(Object.fromEntries(expected));

    const letters: { reason: string; raw: string; origin: { file: string; byteOffset: number } }[] = [];
    for (const file of await readdir(deadLetters)) {
      for (const line of (await readFile(join(deadLetters, file), 'utf8')).split('\n')) if (line) letters.push(JSON.parse(line));
    }
    expect(letters).toHaveLength(12);
    for (const letter of letters) {
      expect(letter.reason).toMatch(/invalid JSON/);
      expect(letter.raw).toContain('broken');
      expect(letter.origin.file).toBe(input);
      // The offset points at the malformed line itself.
      const text = await readFile(input, 'utf8');
      expect(text.slice(letter.origin.byteOffset).startsWith(letter.raw)).toBe(true);
    }
  });
});

describe('a worker killed mid-job', () => {
  it('restarts the job, which finishes with complete counts', async () => {
    const events = 120_000;
    const keys = 11;
    const output = join(work, 'killed-out');
    const submit = await cluster.run(['run', 'examples/keyed-counts.ts', '-p', '2', '-d', '--json', '--', '--events', String(events), '--keys', String(keys), '--rate', '20000', '--output', output]);
    expect(submit.code).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };

    // Wait until records flow through both workers, then SIGKILL one of them.
    const running = await eventually(async () => {
      const view = await cluster.status(jobId);
      const counted = view.vertices[1]!.subtasks.reduce((n, s) => n + s.recordsIn, 0);
      return view.status === 'RUNNING' && counted > 10_000 ? view : undefined;
    }, 30_000, 'records to flow');
    const victimId = running.vertices[1]!.subtasks[1]!.workerId!;
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === victimId)!;
    process.kill(victim.pid, 'SIGKILL');

    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(view.restarts).toBeGreaterThanOrEqual(1);
    expect(view.error).toMatch(/worker .* was lost|lost the data connection/);

    const expected = new Map<string, number>();
    for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
    expect(checkExactCounts(await readJsonLines(output), expected)).toEqual([]);
  });
});
