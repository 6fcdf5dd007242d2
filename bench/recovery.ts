// Recovery time: exactly-once keyed counts (checkpoint every 1 s) at
// parallelism 2 on 2 workers; SIGKILL one worker and measure the time until
// the job is RUNNING again (every subtask of the new attempt running) and
// until its throughput is back to 80% of what it was before the kill.
// Run: npx node bench/recovery.ts [--keys 10000] [--runs 3]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClusterView } from '@weir/common';
import { BenchCluster, machine, weir } from './support/cluster.ts';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const rows: string[] = [];
const cluster = new BenchCluster();
await cluster.start(2, 4);
const output = await mkdtemp(join(tmpdir(), 'weir-recovery-'));
try {
  for (let run = 0; run < runs; run++) {
    const submit = await weir([
      'run', 'examples/exactly-once-counts.ts', '-p', '2', '-d', '--json', '--coordinator', cluster.address,
      '--', '--events', '1000000000', '--keys', values.keys!, '--rate', '50000', '--checkpoint-interval', '1000', '--output', join(output, `run-${run}`),
    ]);
    if (submit.code !== 0) throw new Error(submit.stderr);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    const sinkCount = async (): Promise<{ n: number; running: boolean; attempt: number }> => {
      const view = await cluster.status(jobId);
      const all = view.vertices.flatMap((v) => v.subtasks);
      return { n: view.vertices.at(-1)!.subtasks.reduce((s, t) => s + t.recordsIn, 0), running: view.status === 'RUNNING' && all.every((s) => s.state === 'RUNNING'), attempt: view.attempt };
    };
    // Steady state first.
    await new Promise((r) => setTimeout(r, 6000));
    const a = await sinkCount();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const b = await sinkCount();
    const steady = (b.n - a.n) / ((Date.now() - t0) / 1000);
    const view = await cluster.status(jobId);
    const cluster0 = JSON.parse((await weir(['cluster', '--json', '--coordinator', cluster.address])).stdout) as ClusterView;
    const victim = cluster0.workers.find((w) => w.workerId === view.vertices[1]!.subtasks[0]!.workerId)!;
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    let runningAt = 0;
    let caughtUpAt = 0;
    let last = { n: 0, t: 0 };
    while (Date.now() - killedAt < 60_000 && !caughtUpAt) {
      await new Promise((r) => setTimeout(r, 100));
      const s = await sinkCount().catch(() => undefined);
      if (!s || s.attempt === b.attempt) continue;
      if (!runningAt && s.running) {
        runningAt = Date.now();
        last = { n: s.n, t: runningAt };
        continue;
      }
      if (runningAt && Date.now() - last.t >= 1000) {
        const rate = (s.n - last.n) / ((Date.now() - last.t) / 1000);
        if (rate >= 0.8 * steady) caughtUpAt = Date.now();
        last = { n: s.n, t: Date.now() };
      }
    }
    rows.push(`| ${run + 1} | ${Math.round(steady).toLocaleString('en-US')} | ${runningAt ? ((runningAt - killedAt) / 1000).toFixed(2) + ' s' : 'no'} | ${caughtUpAt ? ((caughtUpAt - killedAt) / 1000).toFixed(2) + ' s' : 'no'} |`);
    process.stderr.write(`run ${run + 1}: RUNNING after ${runningAt - killedAt} ms, throughput back after ${caughtUpAt - killedAt} ms\n`);
    await weir(['cancel', jobId, '--coordinator', cluster.address]);
    await new Promise((r) => setTimeout(r, 3000));
  }
  process.stdout.write(
    [
      `recovery benchmark (exactly-once-counts, ${values.keys} keys, p=2 on 2 workers, checkpoints every 1 s, source capped at 50,000 events/s) on ${machine()}`,
      '',
      '| run | events/s before | SIGKILL -> RUNNING | SIGKILL -> 80% throughput |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await cluster.stop();
  await rm(output, { recursive: true, force: true });
}
