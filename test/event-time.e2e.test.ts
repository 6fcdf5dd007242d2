// Event time across processes: per-split watermarks from sources, the minimum
// over a union's inputs, idle inputs that stop holding event time back, and
// `weir status` naming the split that holds it back.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 6 });
  work = await mkdtemp(join(tmpdir(), 'weir-event-time-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

async function submit(output: string, extra: string[]): Promise<string> {
  const result = await cluster.run(['run', 'test/fixtures/event-time-job.ts', '-p', '2', '-d', '--json', '--', '--output', output, ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

describe('event time', () => {
  it('an idle source does not hold the watermark back: timers fire while the job runs', async () => {
    const output = join(work, 'idle');
    const jobId = await submit(output, ['--idleness', '300']);
    const view = await eventually(async () => {
      const v = await cluster.status(jobId);
      const fire = v.vertices.find((x) => x.name.includes('KeyedProcess'))!;
      return fire.subtasks.every((s) => typeof s.inputWatermark === 'number' && s.inputWatermark > 1_000_000) ? v : undefined;
    }, 30_000, 'the keyed operator to see a watermark');
    // The quiet source's splits are idle; the steady source's are not.
    const quiet = view.vertices.find((v) => v.operators.some((o) => o.includes('(quiet)')))!;
    const steady = view.vertices.find((v) => v.operators.some((o) => o.includes('(steady)')))!;
    expect(quiet.subtasks.flatMap((s) => s.splits ?? []).every((s) => s.idle === true)).toBe(true);
    expect(steady.subtasks.flatMap((s) => s.splits ?? []).some((s) => s.idle === true)).toBe(false);
    const text = await cluster.run(['status', jobId]);
    expect(text.stdout).toContain('WATERMARK');
    expect(text.stdout).toContain('idle');
    // Timers fired in event-time order of the watermark, while the job runs.
    expect(await cluster.run(['cancel', jobId])).toMatchObject({ code: 0 });
    await cluster.waitForEnd(jobId);
    const fired = await readJsonLines<{ key: string; timer: number; watermark: number }>(output).catch(() => []);
    expect(fired.length).toBeGreaterThan(0);
    for (const f of fired) expect(f.timer).toBeLessThanOrEqual(f.watermark);
  });

  it('without idleness the quiet source holds event time back, and weir status says which split', async () => {
    const output = join(work, 'held');
    const jobId = await submit(output, []);
    await eventually(async () => {
      const v = await cluster.status(jobId);
      const steady = v.vertices.find((x) => x.operators.some((o) => o.includes('(steady)')))!;
      return steady.subtasks.every((s) => (s.splits ?? []).some((sp) => typeof sp.watermark === 'number')) ? v : undefined;
    }, 30_000, 'the steady source to have a watermark');
    await new Promise((r) => setTimeout(r, 1_500));
    const view = await cluster.status(jobId);
    const fire = view.vertices.find((x) => x.name.includes('KeyedProcess'))!;
    for (const s of fire.subtasks) expect(s.inputWatermark ?? null).toBeNull();
    const text = await cluster.run(['status', jobId]);
    expect(text.stdout).toMatch(/Watermark held back by .*quiet.* split generator-\d\/2 \(watermark none yet\)/);
    expect(text.stdout).toContain('withIdleness');
    expect(await cluster.run(['cancel', jobId])).toMatchObject({ code: 0 });
    await cluster.waitForEnd(jobId);
  });
});
