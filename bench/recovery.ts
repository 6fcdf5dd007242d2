// Recovery time: exactly-once keyed counts (checkpoint every 1 s) at
// parallelism 2 on 2 workers; SIGKILL one worker and measure the time until
// the job is RUNNING again (every subtask of the new attempt running) and
// until its throughput is back to 80% of what it was before the kill.
// With --timeline, also prints for each run what the coordinator and the
// workers logged after the kill (ms since the SIGKILL), read from their logs,
// and the sink's throughput as reported after it. --spare-threads N starts
// the workers with that many spare slot threads per job (`weir worker --spare-threads`).
// "survivor CPU" is the CPU the surviving worker spent from the kill to
// RUNNING: the work of recovering, which wall times hide on a loaded machine.
// Run: npx node bench/recovery.ts [--keys 10000] [--runs 3] [--timeline] [--spare-threads 0]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WEIR_ENV, type JobStatusView } from '@weir/protocol';
import { WeirClient } from '@weir/client';
import { BENCH_TLS, BenchCluster, cpuSeconds, machine, weir } from './support/cluster.ts';

const { values } = parseArgs({
  options: { keys: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' }, timeline: { type: 'boolean', default: false }, 'spare-threads': { type: 'string', default: '0' } },
});
const runs = Number(values.runs);
const rows: string[] = [];

/** One log line of a cluster member. */
interface LogLine {
  time: number;
  component?: string;
  workerId?: string;
  msg: string;
  [field: string]: unknown;
}

/** The members' log lines (info and up with --timeline), for the timeline. */
const logLines: LogLine[] = [];
function keepLogLine(line: string, _member: unknown, stream: 'stdout' | 'stderr'): void {
  if (stream !== 'stderr' || !line.startsWith('{')) return;
  try {
    logLines.push(JSON.parse(line) as LogLine);
  } catch {
    // not a log line
  }
}

/** The log lines worth a row in the timeline: one per message and member (the first), from `from` on. */
function timeline(lines: readonly LogLine[], from: number, to: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    if (line.time < from || line.time > to) continue;
    const who = line.component === 'worker' || line.workerId ? `${line.component ?? ''} ${line.workerId ?? ''}`.trim() : (line.component ?? '');
    const detail = [line.to ? `-> ${String(line.to)}` : '', line.attempt !== undefined ? `attempt ${String(line.attempt)}` : '', line.subtask ? String(line.subtask).split('/').slice(1).join('/') : '', line.state ? String(line.state) : '', line.restartInMs !== undefined ? `delay ${String(line.restartInMs)} ms` : '', line.ms !== undefined ? `${String(line.ms)} ms` : '', line.preparedThreads !== undefined ? `${String(line.preparedThreads)} prepared threads` : '']
      .filter(Boolean)
      .join(', ');
    const key = `${who}|${line.msg}|${detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`  +${String(line.time - from).padStart(5)} ms  ${who.padEnd(24)} ${line.msg}${detail ? ` (${detail})` : ''}`);
  }
  return out;
}

const cluster = new BenchCluster();
await cluster.start(2, 4, { env: { [WEIR_ENV.logLevel]: values.timeline ? 'debug' : 'warn' }, spareThreads: Number(values['spare-threads']), onOutput: keepLogLine });
const client = new WeirClient(cluster.address, { failoverWaitMs: 0, transport: { caFile: BENCH_TLS.caFile } });
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
      const view: JobStatusView = await client.status(jobId);
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
    const view = await client.status(jobId);
    const workers = (await client.cluster()).workers;
    const victim = workers.find((w) => w.workerId === view.vertices[1]!.subtasks[0]!.workerId)!;
    // CPU the surviving workers spend from the kill to RUNNING: the work of recovering, whatever else loads the machine.
    const survivors = workers.filter((w) => w !== victim).map((w) => w.pid);
    const survivorCpu = async (): Promise<number> => (await Promise.all(survivors.map((pid) => cpuSeconds(pid).catch(() => 0)))).reduce((a, c) => a + c, 0);
    const cpuAtKill = await survivorCpu();
    let cpuToRunning = 0;
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    let runningAt = 0;
    let caughtUpAt = 0;
    let last = { n: 0, t: 0 };
    /** The sink's records in as reported (heartbeat metrics), each time it changes in the new attempt. */
    const reported: { t: number; n: number }[] = [];
    while (Date.now() - killedAt < 60_000 && !caughtUpAt) {
      await new Promise((r) => setTimeout(r, 25));
      const s = await sinkCount().catch(() => undefined);
      if (!s || s.attempt === b.attempt) continue;
      if (s.n !== reported.at(-1)?.n) reported.push({ t: Date.now(), n: s.n });
      if (!runningAt && s.running) {
        runningAt = Date.now();
        cpuToRunning = (await survivorCpu()) - cpuAtKill;
        last = { n: s.n, t: runningAt };
        continue;
      }
      // Throughput over (at least) the last second, measured from the sink's records-in (reported once a second).
      if (runningAt && Date.now() - last.t >= 1000) {
        const rate = (s.n - last.n) / ((Date.now() - last.t) / 1000);
        if (rate >= 0.8 * steady) caughtUpAt = Date.now();
        last = { n: s.n, t: Date.now() };
      }
    }
    const load = loadavg()[0]!.toFixed(1);
    rows.push(`| ${run + 1} | ${Math.round(steady).toLocaleString('en-US')} | ${runningAt ? ((runningAt - killedAt) / 1000).toFixed(2) + ' s' : 'no'} | ${caughtUpAt ? ((caughtUpAt - killedAt) / 1000).toFixed(2) + ' s' : 'no'} | ${cpuToRunning.toFixed(2)} s | ${load} |`);
    process.stderr.write(`run ${run + 1}: RUNNING after ${runningAt - killedAt} ms (survivor CPU ${cpuToRunning.toFixed(2)} s), throughput back after ${caughtUpAt - killedAt} ms, load ${load}\n`);
    if (values.timeline) {
      process.stderr.write([`timeline of run ${run + 1} (ms after the SIGKILL; RUNNING seen by the bench at +${runningAt - killedAt} ms):`, ...timeline(logLines, killedAt, runningAt + 500), ''].join('\n'));
      const rates = reported.slice(1).map((r, i) => `+${r.t - killedAt} ms: ${Math.round((r.n - reported[i]!.n) / ((r.t - reported[i]!.t) / 1000)).toLocaleString('en-US')}/s`);
      process.stderr.write(`  sink records in, as reported, per second since the previous report: ${rates.join(', ')}\n`);
    }
    logLines.length = 0;
    await client.cancel(jobId);
    await new Promise((r) => setTimeout(r, 3000));
  }
  process.stdout.write(
    [
      `recovery benchmark (exactly-once-counts, ${values.keys} keys, p=2 on 2 workers, checkpoints every 1 s, source capped at 50,000 events/s, ${values['spare-threads']} spare threads) on ${machine()}`,
      '',
      '| run | events/s before | SIGKILL -> RUNNING | SIGKILL -> 80% throughput | survivor CPU to RUNNING | load (1 min) |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  client.close();
  await cluster.stop();
  await rm(output, { recursive: true, force: true });
}
