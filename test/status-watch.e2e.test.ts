// `weir status --watch` against a real cluster and job: plain lines (the
// status table with records/s per vertex under a timestamped line with the
// latest checkpoint) when stdout is a pipe, an in-place redraw on a terminal
// (a real pty through util-linux `script`), and the watch ends by itself
// when the job ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { REPO_ROOT, WEIR_BIN } from './helpers/weir-cli.ts';
import { TEST_TLS_ENV } from './helpers/test-tls.ts';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** A running process with everything it wrote so far and its exit. */
interface Watching {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function watch(command: string, args: string[]): Watching {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...TEST_TLS_ENV, WEIR_LOG_LEVEL: 'warn', TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function submit(): Promise<string> {
  const result = await cluster.run(['run', 'test/fixtures/slow-sink-job.ts', '-p', '2', '-d', '--json', '--checkpoint-interval', '500']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

describe('weir status --watch', () => {
  it('prints plain lines with records/s, busy/backpressured/idle and the latest checkpoint when not a terminal, and ends with the job', async () => {
    const jobId = await submit();
    const w = watch(process.execPath, [WEIR_BIN, 'status', jobId, '--watch', '--interval', '300', '--coordinator', cluster.address]);
    try {
      // The sink's row (VERTEX P STATE IN OUT IN/S OUT/S BUSY/BP/IDLE): records in per second > 0.
      await eventually(async () => {
        const rates = [...w.output().matchAll(/^ForEach \(slow-sink\)\s+2\s+RUNNING\s+\S+\s+\S+\s+(\S+)\s+\S+\s+\d+\/\d+\/\d+/gm)].map((m) => parseFloat(m[1]!));
        return rates.some((r) => r > 0) && /last checkpoint #\d+ \d+ s ago/.test(w.output()) ? true : undefined;
      }, 60_000, 'a row with the sink reading records and a completed checkpoint');
      expect(w.output()).toMatch(new RegExp(`^\\S+Z Job ${jobId} 'slow-sink': RUNNING, restarts 0, last checkpoint`, 'm'));
      expect(w.output()).toMatch(/^VERTEX\s+P\s+STATE\s+IN\s+OUT\s+IN\/S\s+OUT\/S\s+BUSY\/BP\/IDLE/m);
      expect((await cluster.run(['cancel', jobId])).code).toBe(0);
      expect(await w.exit).toBe(0);
      expect(w.output().trimEnd().split('\n').filter((l) => l.includes(`Job ${jobId}`) && l.includes('last checkpoint')).at(-1)).toContain(': CANCELED');
      expect(w.output()).not.toContain('\x1b');
    } finally {
      w.child.kill('SIGKILL');
    }
  });

  it('redraws in place on a terminal, the status table under the latest checkpoint', async () => {
    const jobId = await submit();
    const command = [process.execPath, WEIR_BIN, 'status', jobId, '--watch', '--interval', '300', '--coordinator', cluster.address].map((a) => `'${a}'`).join(' ');
    const w = watch('script', ['-qfec', command, '/dev/null']);
    try {
      await eventually(async () => (w.output().split('\x1b[H').length > 3 && w.output().includes('BUSY/BP/IDLE') ? true : undefined), 60_000, 'three redraws of the table');
      const frame = w.output().split('\x1b[H').at(-2)!;
      expect(frame).toContain(`Job ${jobId} 'slow-sink': RUNNING, restarts 0, last checkpoint`);
      expect(frame).toMatch(/VERTEX\s+P\s+STATE\s+IN\s+OUT\s+IN\/S\s+OUT\/S\s+BUSY\/BP\/IDLE/);
      expect(frame).toMatch(/ForEach \(slow-sink\)\s+2\s+RUNNING/);
      expect((await cluster.run(['cancel', jobId])).code).toBe(0);
      expect(await w.exit).toBe(0);
      // The cursor is shown again when the watch ends.
      expect(w.output()).toContain('\x1b[?25h');
      expect(w.output().split('\x1b[H').at(-1)).toContain(': CANCELED');
    } finally {
      w.child.kill('SIGKILL');
    }
  });
});
