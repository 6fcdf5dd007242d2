// Async I/O against a real HTTP service started here: a job enriches ids
// through lookups with AsyncDataStream, checkpoints and a transactional file
// sink, while workers are SIGKILLed. The output must be exactly the expected
// one (computed here, independently of the job), with slow lookups going
// to the timeout handler or the dead letters and failing ones retried, then
// dead letters, each exactly once across restores.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { startLookupServer, type LookupBehaviour, type LookupServer } from './helpers/lookup-server.ts';
import { readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;
let server: LookupServer | undefined;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 2 });
  work = await mkdtemp(join(tmpdir(), 'weir-async-io-'));
});

logOnFailure(() => cluster);

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await cluster?.stop();
});

interface Enriched {
  id: number;
  v: number | null;
}

/** The committed dead letters in `dir` (files directly in it). */
async function committedLetters(dir: string): Promise<{ raw: string; reason: string }[]> {
  const letters: { raw: string; reason: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    for (const line of (await readFile(join(dir, entry.name), 'utf8')).split('\n')) if (line) letters.push(JSON.parse(line) as { raw: string; reason: string });
  }
  return letters;
}

/**
 * Runs the lookup job against a service behaving as `behaviour`, SIGKILLing a worker `kills` times after a checkpoint.
 * `timeoutMs` bounds each record's lookup with its retries: generous where timeouts are not under test, as a loaded machine can stall a worker for seconds.
 */
async function runLookups(name: string, mode: 'ordered' | 'unordered', behaviour: LookupBehaviour, kills: number, events: number, rate: number, timeoutMs = 5000) {
  server = await startLookupServer(behaviour);
  const output = join(work, `${name}-out`);
  const deadLetters = join(work, `${name}-dead-letters`);
  const args = [String(events), String(rate), server.url, mode, String(timeoutMs), '100', deadLetters, output];
  const submitted = await cluster.run(['run', 'test/fixtures/async-lookup-job.ts', '--no-typecheck', '-d', '--json', '-p', '2', '--', ...args]);
  expect(submitted.code, submitted.stderr).toBe(0);
  const jobId = (JSON.parse(submitted.stdout) as { jobId: string }).jobId;
  try {
    return await killAndCheck(jobId, kills, output, deadLetters);
  } finally {
    // A failed test leaves no job behind to take the next one's slots.
    await cluster.run(['cancel', jobId]);
  }
}

async function killAndCheck(jobId: string, kills: number, output: string, deadLetters: string) {
  // Each kill comes after a checkpoint completed since the previous kill (the first, after the first checkpoint).
  let before = 0;
  for (let kill = 0; kill < kills; kill++) {
    // One client call per poll: on a loaded machine each takes seconds.
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > before ? true : undefined), 90_000, 'a checkpoint');
    before = (await cluster.completedCheckpoints(jobId)).length;
    const view = await cluster.status(jobId);
    // A worker whose subtask still runs (a finished subtask needs no restart).
    const running = view.vertices[0]!.subtasks.filter((t) => t.state === 'RUNNING');
    expect(running.length, 'every subtask finished before the kills were done: give the job more events').toBeGreaterThan(0);
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === running[kill % running.length]!.workerId)!;
    process.kill(victim.pid, 'SIGKILL');
    await eventually(async () => ((await cluster.status(jobId)).restarts > view.restarts ? true : undefined), 60_000, 'the job to restart').catch(async (error: unknown) => {
      const now = await cluster.status(jobId);
      const where = now.vertices.flatMap((v) => v.subtasks.map((t) => `${v.id}#${t.index}: ${t.state} on ${t.workerId}`));
      throw new Error(`${String(error)}; killed ${victim.workerId} (pid ${victim.pid}); subtasks before the kill: ${JSON.stringify(view.vertices[0]!.subtasks.map((t) => [t.state, t.workerId]))}; now: ${where.join(', ')}`);
    });
  }
  const view = await cluster.waitForEnd(jobId, 180_000);
  expect(view.status, view.error ?? undefined).toBe('FINISHED');
  expect(view.restarts).toBeGreaterThanOrEqual(kills);
  const records = (await readJsonLines<Enriched>(output)).sort((a, b) => a.id - b.id);
  return { records, letters: await committedLetters(deadLetters), view };
}

describe('async I/O against an HTTP service', () => {
  it('enriches every record exactly once while workers are SIGKILLed (unordered)', async () => {
    const events = 9000;
    const { records } = await runLookups('ok', 'unordered', { latencyMs: (id) => 2 + (id % 7) }, 2, events, 150, 60_000);
    expect(records.length).toBe(events);
    expect(records).toEqual(Array.from({ length: events }, (_, id) => ({ id, v: id * 2 })));
  }, 300_000);

  it('a slow service: timed-out lookups get the fallback or are dead letters, exactly once across a restore (ordered)', async () => {
    const events = 3000;
    // Every id ending in 7 answers long after the 5 s timeout.
    const { records, letters, view } = await runLookups('slow', 'ordered', { latencyMs: (id) => (id % 10 === 7 ? 60_000 : 3) }, 1, events, 100);
    const expected: Enriched[] = [];
    const expectedLetters: number[] = [];
    for (let id = 0; id < events; id++) {
      if (id % 20 === 17) expectedLetters.push(id);
      else expected.push({ id, v: id % 20 === 7 ? null : id * 2 });
    }
    expect(records).toEqual(expected);
    expect(letters.map((l) => Number(l.raw)).sort((a, b) => a - b)).toEqual(expectedLetters);
    expect(letters[0]!.reason).toMatch(/^user function threw: lookup of \d+ timed out and has no fallback$/);
    expect(view.deadLetters).toBeGreaterThan(0);
  }, 300_000);

  it('a failing service: lookups are retried, and those failing every attempt are dead letters, exactly once across a restore', async () => {
    const events = 6000;
    // Ids ending in 3 always fail; ids ending in 5 fail their first two requests.
    const behaviour: LookupBehaviour = { latencyMs: () => 3, fails: (id, n) => id % 10 === 3 || (id % 10 === 5 && n <= 2) };
    const { records, letters } = await runLookups('failing', 'unordered', behaviour, 1, events, 100, 60_000);
    const ids = Array.from({ length: events }, (_, id) => id);
    expect(records).toEqual(ids.filter((id) => id % 10 !== 3).map((id) => ({ id, v: id * 2 })));
    expect(letters.map((l) => Number(l.raw)).sort((a, b) => a - b)).toEqual(ids.filter((id) => id % 10 === 3));
    expect(letters[0]!.reason).toMatch(/^user function threw: lookup of (\d+): HTTP 500 lookup of \1 failed \(request \d+\)$/);
    // Three attempts each (a record in flight at the restored checkpoint was called again).
    for (const id of ids.filter((i) => i % 10 === 3 || i % 10 === 5)) expect(server!.requests.get(id), `requests for ${id}`).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
