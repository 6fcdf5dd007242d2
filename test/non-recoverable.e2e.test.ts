// Failures no restart can cure fail the job at once, whatever its restart
// strategy: a missing input file, a corrupt state file in a savepoint or a
// retained checkpoint (a truncated one is refused at submission), and a
// NonRecoverableError thrown by a user function.
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_METADATA_FILE } from '@weir/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  // Generous restarts: a recoverable failure would restart, a non-recoverable one must not.
  cluster = await startCluster({ workers: 2, slots: 4, env: { WEIR_RESTART_STRATEGY: 'fixed-delay:attempts=10,delay=200ms' } });
  work = await mkdtemp(join(tmpdir(), 'weir-non-recoverable-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

function jobIdOf(stdout: string): string {
  return /Job ([0-9a-f]{32})/.exec(stdout)![1]!;
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** Flips bytes in the middle of the largest state file under `dir`: its size stays, its contents do not. */
async function garbleLargestStateFile(dir: string): Promise<{ victim: string; size: number }> {
  const files = (await filesUnder(dir)).filter((f) => !f.endsWith(CHECKPOINT_METADATA_FILE));
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const victim = files[sizes.indexOf(Math.max(...sizes))]!;
  const bytes = await readFile(victim);
  for (let i = Math.floor(bytes.length / 2); i < Math.min(bytes.length, Math.floor(bytes.length / 2) + 16); i++) bytes[i] = bytes[i]! ^ 0xff;
  await writeFile(victim, bytes);
  return { victim, size: bytes.length };
}

describe('failures no restart can cure', () => {
  it('a missing input file fails the job at once, with no restart and the path in the reason', async () => {
    const missing = join(work, 'no-such-input.jsonl');
    const result = await cluster.run(['run', 'test/fixtures/json-lines-job.ts', '--no-typecheck', '--', '--input', missing, '--output', join(work, 'out'), '--dead-letters', join(work, 'dl')]);
    expect(result.code, result.stderr).toBe(1);
    const view = await cluster.status(jobIdOf(result.stdout));
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(0);
    expect(view.error).toContain('no restart can cure');
    expect(view.error).toContain(`cannot open input file ${missing}`);
    expect(view.error).toContain('ENOENT');
  });

  it('a NonRecoverableError thrown by a user function fails the job at once', async () => {
    const log = join(work, 'user-attempts.log');
    const result = await cluster.run(['run', 'test/fixtures/failing-attempts-job.ts', '--no-typecheck', '--', '--log', log, '--non-recoverable']);
    expect(result.code, result.stderr).toBe(1);
    const view = await cluster.status(jobIdOf(result.stdout));
    expect(view.restarts).toBe(0);
    expect(view.error).toContain('no restart can cure');
    expect(view.error).toContain('record 300 is poisoned');
    expect((await readFile(log, 'utf8')).split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('the same job with an ordinary Error restarts under its strategy', async () => {
    const log = join(work, 'recoverable-attempts.log');
    const result = await cluster.run(['run', 'test/fixtures/failing-attempts-job.ts', '--no-typecheck', '--restart-strategy', 'fixed-delay:attempts=2,delay=100ms', '--', '--log', log]);
    expect(result.code, result.stderr).toBe(1);
    expect((await cluster.status(jobIdOf(result.stdout))).restarts).toBe(2);
  });

  it('a corrupt state file in a savepoint fails the restored job at once, naming the file', async () => {
    const args = ['--', '--events', '1000000', '--keys', '4', '--rate', '4000', '--checkpoint-interval', '300', '--output', join(work, 'counts')];
    const submitted = await cluster.run(['run', 'examples/exactly-once-counts.ts', '--no-typecheck', '-d', '--json', '-p', '2', ...args]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > 0 ? true : undefined), 60_000, 'a completed checkpoint');
    const saved = await cluster.run(['savepoint', jobId, join(work, 'savepoints'), '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    const { path } = JSON.parse(saved.stdout) as { path: string };
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);

    const { victim } = await garbleLargestStateFile(path);

    const restored = await cluster.run(['run', 'examples/exactly-once-counts.ts', '--no-typecheck', '-p', '2', '--from-savepoint', path, ...args]);
    expect(restored.code, restored.stderr).toBe(1);
    const view = await cluster.status(jobIdOf(restored.stdout));
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(0);
    expect(view.error).toContain('no restart can cure');
    expect(view.error).toContain(victim);
    expect(view.error).toContain('corrupt');
  });

  it('a state file of a retained checkpoint, garbled: the restored job fails at once naming the file and the way out; truncated: the restore is refused', async () => {
    const args = ['--', '--events', '1000000', '--keys', '4', '--rate', '2000', '--retain-on-cancel', '--output', join(work, 'retained')];
    const submitted = await cluster.run(['run', 'test/fixtures/state-evolution-job.ts', '--no-typecheck', '-d', '--json', '-p', '2', ...args]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).some((c) => c.bytes > 0) ? true : undefined), 60_000, 'a checkpoint with state');
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
    await cluster.waitForEnd(jobId);
    const retained = (await cluster.completedCheckpoints(jobId)).at(-1)!.path!;
    const { victim, size } = await garbleLargestStateFile(retained);

    const restored = await cluster.run(['run', 'test/fixtures/state-evolution-job.ts', '--no-typecheck', '-p', '2', '--from-savepoint', retained, ...args]);
    expect(restored.code, restored.stderr).toBe(1);
    const view = await cluster.status(jobIdOf(restored.stdout));
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(0);
    expect(view.error).toContain(`keyed state file ${victim} is corrupt`);
    expect(view.error).toContain('restore the job from an older retained checkpoint or savepoint');

    await truncate(victim, Math.floor(size / 2));
    const refused = await cluster.run(['run', 'test/fixtures/state-evolution-job.ts', '--no-typecheck', '-p', '2', '--from-savepoint', retained, ...args]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`cannot restore from ${retained}: state file ${victim} has ${Math.floor(size / 2)} bytes`);
    expect(refused.stderr).toContain('restore from an older retained checkpoint or savepoint instead');
  });
});
