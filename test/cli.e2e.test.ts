// The weir command's answers to bad input: one line, exit code 2, nothing submitted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WEIR_ENV, type ClusterView } from '@weir/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { REPO_ROOT, WEIR_BIN, weir, weirJson } from './helpers/weir-cli.ts';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 1, slots: 2 });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('weir CLI', () => {
  it('rejects an unknown flag with one line and exit code 2', async () => {
    const result = await weir(['run', '--no-such-flag', 'examples/wordcount.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("unknown option '--no-such-flag'");
  });

  it('rejects an unknown command with exit code 2', async () => {
    const result = await weir(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });

  it('rejects a bad number with exit code 2 naming the flag', async () => {
    const result = await cluster.run(['run', 'examples/wordcount.ts', '-p', 'two']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--parallelism takes a whole number');
  });

  it('rejects a missing job file with exit code 2', async () => {
    const result = await cluster.run(['run', 'examples/does-not-exist.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/job file not found: .*does-not-exist\.ts/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a job that does not compile, and submits nothing', async () => {
    const before = JSON.parse((await cluster.run(['list', '--json'])).stdout) as unknown[];
    const result = await cluster.run(['run', 'test/fixtures/broken-job.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the job does not compile:\n.*broken-job\.ts:5:\d+/);
    const after = JSON.parse((await cluster.run(['list', '--json'])).stdout) as unknown[];
    expect(after).toHaveLength(before.length);
  });

  it('rejects a job whose graph cannot be built, and submits nothing', async () => {
    // wordcount without its arguments throws while building the graph.
    const result = await cluster.run(['run', 'examples/wordcount.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('wordcount needs --input FILE and --output DIR');
    expect(JSON.parse((await cluster.run(['list', '--json'])).stdout)).toHaveLength(0);
  });

  it('says how to reach a coordinator when none answers', async () => {
    const result = await weir(['list', '--coordinator', '127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach the coordinator at 127.0.0.1:1');
    expect(result.stderr).toContain('weir local');
  });

  it('names an unknown job id', async () => {
    const result = await cluster.run(['status', 'feedfacefeedfacefeedfacefeedface']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no job with id feedfacefeedfacefeedfacefeedface');
  });

  it('shows the cluster: coordinator and workers with slots', async () => {
    const result = await cluster.run(['cluster']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`at ${cluster.address}`);
    expect(result.stdout).toMatch(/local-worker-0 .* 2 +2 /);
  });
});

/** Runs `weir local` itself as a child process; resolves once it says it is ready. */
async function spawnWeirLocal(dataDir: string): Promise<{ process: ChildProcess; address: string; coordinatorPid: number }> {
  const child = spawn(process.execPath, [WEIR_BIN, 'local', '--port', '0', '--workers', '2', '--slots', '1', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { ...process.env, [WEIR_ENV.logLevel]: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let coordinatorPid = 0;
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const pid = /coordinator \(pid (\d+)\)/.exec(line);
      if (pid) coordinatorPid = Number(pid[1]);
      const ready = /ready: coordinator at (\S+),/.exec(line);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`weir local exited with ${code} before it was ready`)));
  });
  return { process: child, address, coordinatorPid };
}

describe('weir local', () => {
  it('stops the coordinator and every worker on SIGTERM, and restarts a member that dies', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'weir-local-cli-'));
    const local = await spawnWeirLocal(dataDir);
    const clusterView = (): Promise<ClusterView> => weirJson<ClusterView>(['cluster', '--coordinator', local.address]);
    try {
      expect(local.coordinatorPid).toBeGreaterThan(0);
      const workerPids = (await clusterView()).workers.map((w) => w.pid);
      expect(workerPids).toHaveLength(2);
      // A worker that dies is started again and registers anew.
      process.kill(workerPids[0]!, 'SIGKILL');
      const replaced = await eventually(async () => {
        const workers = (await clusterView()).workers;
        return workers.length === 2 && !workers.some((w) => w.pid === workerPids[0]) ? workers.map((w) => w.pid) : undefined;
      }, 20_000, 'the worker to be restarted');
      const all = [local.coordinatorPid, ...replaced];
      const exited = new Promise((r) => local.process.once('exit', r));
      local.process.kill('SIGTERM');
      await exited;
      expect(local.process.exitCode).toBe(0);
      const alive = all.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      expect(alive).toEqual([]);
    } finally {
      if (local.process.exitCode === null) local.process.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
