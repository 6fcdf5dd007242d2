// The web dashboard in a real browser (Debian's headless Chromium through
// playwright-core) on a real local cluster running a real job: the overview
// shows the workers and the job, the job page draws every vertex with rates
// that agree with the REST API, the subtask table and the checkpoint chart
// fill, and the cancel button cancels the job. Screenshots go to
// test/artifacts/dashboard/ (gitignored).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEIR_ENV, type CheckpointView, type JobStatusView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { rest } from './helpers/rest.ts';
import { REPO_ROOT } from './helpers/weir-cli.ts';

/** The Chromium the tests drive (Debian's package; `.ci/run` installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts', 'dashboard');

let cluster: TestCluster;
let browser: Browser;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  cluster = await startCluster({ workers: 2, slots: 4 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

logOnFailure(() => cluster);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** Summed records/s of each vertex, from the REST API. */
function restRates(job: JobStatusView): Map<string, { in: number; out: number }> {
  return new Map(job.vertices.map((v) => [v.id, {
    in: v.subtasks.reduce((n, s) => n + (s.recordsInPerSecond ?? 0), 0),
    out: v.subtasks.reduce((n, s) => n + (s.recordsOutPerSecond ?? 0), 0),
  }]));
}

/** Each drawn vertex's id, parallelism and rates, as the page shows them. */
function drawnVertices(page: Page): Promise<{ id: string; parallelism: number; in: number; out: number }[]> {
  return page.$$eval('[data-testid=vertex]', (nodes) =>
    nodes.map((n) => ({
      id: n.getAttribute('data-vertex-id')!,
      parallelism: Number(n.getAttribute('data-parallelism')),
      in: Number(n.getAttribute('data-records-in-rate')),
      out: Number(n.getAttribute('data-records-out-rate')),
    })),
  );
}

/** Whether two rates of a few seconds' window, read about a second apart, agree (within a factor of 2). */
function agree(shown: number, actual: number): boolean {
  return shown > 0 && actual > 0 && shown / actual < 2 && actual / shown < 2;
}

describe('the dashboard', () => {
  it('shows the cluster and a running job with its graph, rates and checkpoints, and cancels it', async () => {
    const submit = await cluster.run(['run', 'test/fixtures/slow-sink-job.ts', '-p', '2', '-d', '--json', '--checkpoint-interval', '500']);
    expect(submit.code, submit.stderr).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));

    // The overview: two workers with 4 slots each, the coordinator leading, the job.
    await page.goto(`${cluster.restUrl}/`);
    await page.waitForSelector('[data-testid=workers-count] .card-value:text-is("2")', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=slots] .card-value')).toMatch(/^\d+ \/ 8$/);
    expect(await page.locator('[data-testid=workers] tbody tr').count()).toBe(2);
    expect(await page.textContent('[data-testid=coordinators]')).toContain(cluster.address);
    await page.waitForSelector(`a[href="#/jobs/${jobId}"]`);
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });

    // The job page: every vertex of the REST view, drawn with its parallelism and non-zero rates that agree with the REST API.
    await page.click(`a[href="#/jobs/${jobId}"]`);
    await page.waitForSelector('[data-testid=job-status]:text-is("RUNNING")', { timeout: 30_000 });
    await eventually(async () => {
      const drawn = await drawnVertices(page);
      const { body: job } = await rest<JobStatusView>(`${cluster.restUrl}/jobs/${jobId}`);
      if (drawn.map((d) => [d.id, d.parallelism]).join() !== job.vertices.map((v) => [v.id, v.parallelism]).join()) return undefined;
      const rates = restRates(job);
      const [source, sink] = drawn;
      const ok = agree(source!.out, rates.get(source!.id)!.out) && agree(sink!.in, rates.get(sink!.id)!.in);
      return ok ? drawn : undefined;
    }, 60_000, 'the drawn vertices to show the rates of the REST API');
    // The slow sink backpressures the source: its colour says so.
    await page.waitForSelector('[data-testid=vertex][data-backpressure=HIGH]', { timeout: 60_000 });

    // The subtask table of the selected (first) vertex: one row per subtask.
    const { body: job } = await rest<JobStatusView>(`${cluster.restUrl}/jobs/${jobId}`);
    await page.waitForSelector(`[data-testid=subtask-table][data-vertex-id="${job.vertices[0]!.id}"]`);
    expect(await page.locator('[data-testid=subtask-table] tbody tr').count()).toBe(job.vertices[0]!.parallelism);
    // Clicking the sink selects it.
    await page.click(`[data-testid=vertex][data-vertex-id="${job.vertices[1]!.id}"]`);
    await page.waitForSelector(`[data-testid=subtask-table][data-vertex-id="${job.vertices[1]!.id}"]`);

    // The checkpoint chart fills with the completed checkpoints.
    await page.waitForFunction("Number(document.querySelector('[data-testid=checkpoint-chart]')?.getAttribute('data-points')) >= 2", undefined, { timeout: 60_000 });
    expect(await page.locator('[data-testid=checkpoint-chart] canvas').count()).toBeGreaterThan(0);
    const points = Number(await page.getAttribute('[data-testid=checkpoint-chart]', 'data-points'));
    const history = (await rest<{ history: CheckpointView[] }>(`${cluster.restUrl}/jobs/${jobId}/checkpoints`)).body.history;
    expect(history.filter((c) => c.status === 'COMPLETED').length).toBeGreaterThanOrEqual(points);
    expect(await page.textContent('[data-testid=exceptions]')).toContain('No exceptions.');
    await page.screenshot({ path: join(ARTIFACTS, 'job-running.png'), fullPage: true });

    // Cancel: the button (after its confirmation) cancels the job.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('[data-testid=cancel-job]');
    const ended = await eventually(async () => {
      const { body } = await rest<JobStatusView>(`${cluster.restUrl}/jobs/${jobId}`);
      return body.status === 'CANCELED' ? body : undefined;
    }, 60_000, 'the job to be cancelled');
    expect(ended.status).toBe('CANCELED');
    await page.waitForSelector('[data-testid=job-status]:text-is("CANCELED")', { timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'job-cancelled.png'), fullPage: true });
    expect(failures).toEqual([]);
    await page.close();
  }, 240_000);

  it('asks for a token when the cluster has a tokens file, and shows the cluster once a viewer token is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weir-dashboard-tokens-'));
    const viewer = randomBytes(16).toString('hex');
    await writeFile(join(dir, 'tokens'), `viewer ana ${viewer}\n`);
    const secured = await startCluster({ workers: 1, slots: 1, env: { [WEIR_ENV.tokensFile]: join(dir, 'tokens') } });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await page.goto(`${secured.restUrl}/`);
      await page.waitForSelector('form.token-form', { timeout: 30_000 });
      expect(await page.locator('[data-testid=workers]').count(), 'no cluster data without a token').toBe(0);
      await page.fill('form.token-form input', viewer);
      await page.click('form.token-form button');
      await page.waitForSelector('[data-testid=workers-count] .card-value:text-is("1")', { timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'signed-in.png'), fullPage: true });
    } finally {
      await secured.stop();
    }
  }, 120_000);
});
