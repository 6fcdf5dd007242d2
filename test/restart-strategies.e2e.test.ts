// Restart strategies on a real cluster: which strategy applies (weir run flag >
// job code > cluster default), how many restarts each allows, the delays
// between attempts, and why the job failed for good.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStatusView } from '@weir/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';

let cluster: TestCluster;
let work: string;
let runs = 0;

beforeAll(async () => {
  // The cluster's default: one restart.
  cluster = await startCluster({ workers: 1, slots: 2, env: { WEIR_RESTART_STRATEGY: 'fixed-delay:attempts=1,delay=100ms' } });
  work = await mkdtemp(join(tmpdir(), 'weir-restarts-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** Runs the always-failing job to its end; returns its final status and when each attempt reached its first record. */
async function runFailing(flags: string[], jobArgs: string[] = []): Promise<{ view: JobStatusView; starts: number[]; stdout: string }> {
  const log = join(work, `attempts-${runs++}.log`);
  const result = await cluster.run(['run', 'test/fixtures/failing-attempts-job.ts', '--no-typecheck', ...flags, '--', '--log', log, ...jobArgs]);
  expect(result.code, result.stderr).toBe(1);
  const jobId = /Job ([0-9a-f]{32})/.exec(result.stdout)![1]!;
  const view = await cluster.status(jobId);
  const starts = (await readFile(log, 'utf8')).split('\n').filter(Boolean).map(Number);
  return { view, starts, stdout: (await cluster.run(['status', jobId])).stdout };
}

function gaps(starts: number[]): number[] {
  return starts.slice(1).map((t, i) => t - starts[i]!);
}

describe('restart strategies', () => {
  it('fixed-delay from weir run: exactly N restarts, the delay between attempts, then FAILED with the strategy and the last error', async () => {
    const { view, starts, stdout } = await runFailing(['--restart-strategy', 'fixed-delay:attempts=3,delay=1s'], ['--attempts', '5']);
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(3);
    expect(starts).toHaveLength(4);
    for (const gap of gaps(starts)) expect(gap).toBeGreaterThanOrEqual(1000);
    expect(view.error).toContain('the job failed after 3 restarts: restart strategy fixed-delay:attempts=3,delay=1s allows no more; the last error:');
    expect(view.error).toContain('record 300 is poisoned');
    expect(stdout).toContain('restarts 3 (restart strategy fixed-delay:attempts=3,delay=1s)');
    expect(view.restartStrategy).toBe('fixed-delay:attempts=3,delay=1s');
    expect(stdout).toContain('restart strategy fixed-delay:attempts=3,delay=1s allows no more');
  });

  it("the job's code wins over the cluster's default", async () => {
    const { view, starts } = await runFailing([], ['--attempts', '2']);
    expect(view.restarts).toBe(2);
    expect(starts).toHaveLength(3);
    expect(view.error).toContain('restart strategy fixed-delay:attempts=2,delay=100ms');
  });

  it("the cluster's default applies to a job that sets none", async () => {
    const { view, starts } = await runFailing([]);
    expect(view.restarts).toBe(1);
    expect(starts).toHaveLength(2);
    expect(view.error).toContain('restart strategy fixed-delay:attempts=1,delay=100ms');
  });

  it('failure-rate: restarts until more than max-failures fall within the interval', async () => {
    const { view, starts } = await runFailing(['--restart-strategy', 'failure-rate:max-failures=2,interval=10m,delay=200ms']);
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(2);
    expect(starts).toHaveLength(3);
    for (const gap of gaps(starts)) expect(gap).toBeGreaterThanOrEqual(200);
    expect(view.error).toContain('restart strategy failure-rate:max-failures=2,interval=10m,delay=200ms allows no more');
  });

  it('exponential-delay: each wait is the multiplier times the one before', async () => {
    const { view, starts } = await runFailing(['--restart-strategy', 'exponential-delay:initial-backoff=250ms,max-backoff=1m,multiplier=3,jitter=0,attempts=3']);
    expect(view.restarts).toBe(3);
    const waits = gaps(starts);
    expect(waits).toHaveLength(3);
    [250, 750, 2250].forEach((backoff, i) => expect(waits[i]).toBeGreaterThanOrEqual(backoff));
    expect(waits[2]).toBeGreaterThan(waits[0]!);
  });

  it('none: the first failure fails the job', async () => {
    const { view, starts } = await runFailing(['--restart-strategy', 'none']);
    expect(view.restarts).toBe(0);
    expect(starts).toHaveLength(1);
    expect(view.error).toContain("its restart strategy is 'none'");
  });

  it('a malformed --restart-strategy is a usage error that shows the forms', async () => {
    const result = await cluster.run(['run', 'test/fixtures/failing-attempts-job.ts', '--no-typecheck', '--restart-strategy', 'fixed-delay:attempts=3']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--restart-strategy: restart strategy 'fixed-delay' needs delay (e.g. fixed-delay:attempts=3,delay=1s)");
  });
});
