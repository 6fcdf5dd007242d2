// `weir coordinator --config` and `weir worker --config` from one YAML file
// (as on Kubernetes, one ConfigMap for both), then a job through them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView } from '@weir/protocol';
import { REPO_ROOT, WEIR_BIN, weir } from './helpers/weir-cli.ts';
import { TEST_TLS } from './helpers/test-tls.ts';

let dir: string;
const processes: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `weir ...args` and resolves with what it printed on its "listening on" line. */
function launch(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`weir ${args.join(' ')} did not start:\n${log}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('listening on')) return;
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`weir ${args.join(' ')} exited with ${code}:\n${log}`)));
  });
}

let address: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-config-e2e-'));
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'coordinator:',
      `  port: ${port}`,
      '  restPort: 0',
      `  dataDir: ${join(dir, 'coordinator')}`,
      `  checkpointDir: ${join(dir, 'checkpoints')}`,
      'worker:',
      `  coordinator: ${address}`,
      '  slots: 3',
      `  dataDir: ${join(dir, 'worker')}`,
      '  workerId: from-file',
      // The cluster CA and the members' certificate from the file, for coordinator and workers alike.
      'security:',
      `  internalCa: ${TEST_TLS.caFile}`,
      `  internalCert: ${TEST_TLS.certFile}`,
      `  internalKey: ${TEST_TLS.keyFile}`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  const exited = processes.filter((p) => p.exitCode === null).map((p) => new Promise((r) => p.once('exit', r)));
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(exited);
  await rm(dir, { recursive: true, force: true });
});

describe('a cluster configured by a file', () => {
  it('starts a coordinator and workers from one file and runs a job', async () => {
    expect(await launch(['coordinator', '--config', config])).toContain(`listening on ${address}`);
    // The file names the worker 'from-file'; a flag wins over it for the second worker, the environment over the file for its slots.
    await launch(['worker', '--config', config]);
    await launch(['worker', '--config', config, '--worker-id', 'from-flag'], { WEIR_SLOTS: '1' });

    const view = JSON.parse((await weir(['cluster', '--coordinator', address, '--json'])).stdout) as ClusterView;
    const slots = Object.fromEntries(view.workers.map((w) => [w.workerId, w.slots]));
    expect(slots).toEqual({ 'from-file': 3, 'from-flag': 1 });

    const output = join(dir, 'wordcount');
    const result = await weir(['run', 'examples/wordcount.ts', '-p', '2', '--coordinator', address, '--', '--input', 'README.md', '--output', output]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('FINISHED');
    const parts = (await readdir(output)).filter((f) => f.startsWith('part-'));
    expect(parts.length).toBeGreaterThan(0);
    const lines = (await Promise.all(parts.map((p) => readFile(join(output, p), 'utf8')))).join('').trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
  });

  it('refuses a file with an unknown key before starting anything', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'worker:\n  slot: 4\n');
    const result = await weir(['worker', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: worker: unknown key 'slot'`);
  });

  it('refuses a value of the wrong type, naming the key and what it takes', async () => {
    const bad = join(dir, 'bad-type.yaml');
    await writeFile(bad, 'worker:\n  slots: four\ncoordinator:\n  port: 70000\n');
    const result = await weir(['worker', '--config', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: worker.slots: expected a whole number >= 1, got "four"`);
    expect(result.stderr).toContain(`${bad}: coordinator.port: expected a whole number from 0 to 65535, got 70000`);
  });
});
