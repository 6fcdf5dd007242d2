// The weir command's answers to bad input: one line, exit code 2, nothing submitted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep, WEIR_ENV, type ClusterView } from '@weir/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { TEST_TLS_ENV } from './helpers/test-tls.ts';
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

  it("names the job's own source lines when building the graph throws, not the bundle's", async () => {
    const result = await cluster.run(['run', 'test/fixtures/bad-graph-job.ts', '--no-typecheck']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('weir: building the job graph failed: Error: bad-graph-job needs an argument');
    expect(result.stderr).toContain(`at checkArgs (${join(REPO_ROOT, 'test/fixtures/bad-graph-job.ts')}:4:`);
    expect(result.stderr).not.toContain('job.mjs');
    expect(result.stderr).not.toContain('bundle-job');
  });

  it('type-checks a job before it bundles it: a type error is rejected with the compiler\'s message, and nothing is submitted', async () => {
    const before = JSON.parse((await cluster.run(['list', '--json'])).stdout) as unknown[];
    const result = await cluster.run(['run', 'test/fixtures/type-error-job.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the job does not compile:\ntest/fixtures/type-error-job.ts:6:9 - error TS2322: Type 'string' is not assignable to type 'number'.\n1 error;");
    expect(result.stderr).toContain('--no-typecheck');
    expect(JSON.parse((await cluster.run(['list', '--json'])).stdout)).toHaveLength(before.length);
  });

  it('submits a job that does not type-check with --no-typecheck', async () => {
    const result = await cluster.run(['run', 'test/fixtures/type-error-job.ts', '--no-typecheck']);
    expect(result.stderr).not.toContain('does not compile');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('FINISHED');
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

  it('on Ctrl-C while waiting, says the job keeps running and how to cancel it, and exits 130', async () => {
    const child = spawn(process.execPath, [WEIR_BIN, 'run', 'test/fixtures/slow-sink-job.ts', '--coordinator', cluster.address], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...TEST_TLS_ENV, [WEIR_ENV.logLevel]: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const jobId = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const submitted = /Submitted job (\S+) /.exec(stderr);
        if (submitted) resolve(submitted[1]!);
      });
      child.once('exit', (code) => reject(new Error(`weir run exited with ${code} before it submitted:\n${stderr}`)));
    });
    try {
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      // `npx weir` when npm runs it (as it runs these tests), else `weir`.
      const printed = /keeps running; cancel it with: (.*)\n/.exec(stderr)?.[1];
      expect(stderr).toContain(`weir: job ${jobId} keeps running`);
      expect(printed).toMatch(new RegExp(`^(npx )?weir cancel ${jobId} --coordinator ${cluster.address.replaceAll('.', '\\.')}$`));
      expect(['FINISHED', 'FAILED', 'CANCELED']).not.toContain((await cluster.status(jobId)).status);
      // The command it printed works as printed.
      const words = printed!.split(' ');
      const canceled = await weir(words.slice(words.indexOf('cancel')));
      expect(canceled.code, canceled.stderr).toBe(0);
      expect((await cluster.waitForEnd(jobId)).status).toBe('CANCELED');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

interface WeirLocal {
  process: ChildProcess;
  address: string;
  coordinatorPid: number;
  /** What it printed on stdout so far. */
  stdout: () => string;
  /** What it and its members logged on stderr so far (with `pipeStderr`). */
  stderr: () => string;
}

/**
 * Runs `weir local` itself as a child process; resolves once it says it is
 * ready. `detached` puts it in its own process group, as a shell does with a
 * foreground command, so a test can Ctrl-C the whole group.
 */
async function spawnWeirLocal(dataDir: string, options: { args?: string[]; env?: NodeJS.ProcessEnv; pipeStderr?: boolean; detached?: boolean } = {}): Promise<WeirLocal> {
  const child = spawn(process.execPath, [WEIR_BIN, 'local', '--port', '0', '--rest-port', '0', '--workers', '2', '--slots', '1', '--data-dir', dataDir, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, [WEIR_ENV.logLevel]: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', options.pipeStderr ? 'pipe' : 'inherit'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let coordinatorPid = 0;
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += line + '\n';
      const pid = /coordinator \(pid (\d+)\)/.exec(line);
      if (pid) coordinatorPid = Number(pid[1]);
      const ready = /ready: coordinator at (\S+),/.exec(line);
      if (ready) resolve(ready[1]!);
    });
    child.once('exit', (code) => reject(new Error(`weir local exited with ${code} before it was ready`)));
  });
  // The rest of the ready text follows the ready line.
  await sleep(100);
  return { process: child, address, coordinatorPid, stdout: () => stdout, stderr: () => stderr };
}

function alivePids(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

describe('weir local', () => {
  it('stops the coordinator and every worker on SIGTERM, and restarts a member that dies', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'weir-local-cli-'));
    const local = await spawnWeirLocal(dataDir);
    const clusterView = (): Promise<ClusterView> => weirJson<ClusterView>(['cluster', '--coordinator', local.address, '--ca-file', join(dataDir, 'tls', 'ca.crt')]);
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
      expect(alivePids(all)).toEqual([]);
    } finally {
      if (local.process.exitCode === null) local.process.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the README\'s first commands', () => {
  it('terminal 1: weir local says it is ready, where, and how to stop it; terminal 2: the README\'s weir run runs wordcount on it; Ctrl-C stops everything', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Two commands on a fresh machine'), readme.indexOf('Run the whole test suite'));
    expect(section).toMatch(/^npm ci && npx weir local$/m);
    const runLine = /^npx weir run (.+?) && tail -n 3 \/tmp\/wordcount\/part-\*\.jsonl$/m.exec(section);
    expect(runLine, section).not.toBeNull();
    const dataDir = await mkdtemp(join(tmpdir(), 'weir-local-readme-'));
    const output = join(dataDir, 'wordcount');
    // The README's command line, with this cluster's address and a temporary output directory.
    const runArgs = runLine![1]!.split(' ').map((word) => (word === '/tmp/wordcount' ? output : word));
    const local = await spawnWeirLocal(dataDir, { args: ['--slots', '2', '--log-format', 'pretty'], env: { [WEIR_ENV.logLevel]: 'info' }, pipeStderr: true, detached: true });
    try {
      expect(local.stdout()).toContain('Ctrl-C');
      expect(local.stdout()).toContain(`run examples/wordcount.ts --coordinator ${local.address} -- --input README.md --output /tmp/wordcount`);
      // Where the dashboard is, and it answers there.
      const dashboard = /^ {2}dashboard: {2}(http:\/\/127\.0\.0\.1:\d+) \(REST API: \1\/overview, \1\/jobs\)$/m.exec(local.stdout());
      expect(dashboard, local.stdout()).not.toBeNull();
      const page = await fetch(`${dashboard![1]}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Weir dashboard</title>');
      // Logs are on stderr, pretty for a person, from the coordinator and from the workers (they got the format from weir local).
      expect(local.stderr()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): coordinator: coordinator started/m);
      expect(local.stderr()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): worker: worker started/m);
      expect(local.stderr()).not.toMatch(/^\{"level"/m);
      expect(local.stdout()).not.toMatch(/INFO/);

      const split = runArgs.indexOf('--');
      // weir local made its CA in its data directory (found by itself in the default one, .weir/local).
      expect(local.stdout()).toContain(`export WEIR_CA_FILE=${join(dataDir, 'tls', 'ca.crt')}`);
      const caFile = ['--ca-file', join(dataDir, 'tls', 'ca.crt')];
      const result = await weir(['run', ...runArgs.slice(0, split), '--coordinator', local.address, ...caFile, ...runArgs.slice(split)]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('FINISHED');
      const parts = (await readdir(output)).filter((f) => /^part-.*\.jsonl$/.test(f));
      expect(parts.length).toBeGreaterThan(0);
      const lines = (await Promise.all(parts.map((f) => readFile(join(output, f), 'utf8')))).join('').trim().split('\n');
      expect(lines.map((l) => JSON.parse(l) as { word: string })).toContainEqual(expect.objectContaining({ word: 'weir' }));

      // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
      const pids = [local.coordinatorPid, ...(await weirJson<ClusterView>(['cluster', '--coordinator', local.address, ...caFile])).workers.map((w) => w.pid)];
      const exited = new Promise((r) => local.process.once('exit', r));
      process.kill(-local.process.pid!, 'SIGINT');
      await exited;
      expect(local.process.exitCode).toBe(0);
      expect(local.stdout()).toContain('weir local: stopping');
      expect(local.stdout()).not.toContain('starting it again');
      await eventually(async () => (alivePids(pids).length === 0 ? true : undefined), 10_000, 'every member to exit');
    } finally {
      if (local.process.exitCode === null) process.kill(-local.process.pid!, 'SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
