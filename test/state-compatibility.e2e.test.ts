// State compatibility on restore, on a real local cluster: a savepoint's
// _metadata records every state's descriptor; a restore whose job changed a
// state's kind, serializer or version (without a migration) fails at once
// with a StateMigrationError and no restart; a migration keeps every count
// exactly; state of a removed operator fails the restore unless
// --allow-non-restored-state drops it (and the log says so); and
// `weir savepoint check` prints each case without a cluster.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_METADATA_FILE, type CheckpointMetadata, type JobStatusView, type StateCheckReport } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { weir } from './helpers/weir-cli.ts';

const JOB = 'test/fixtures/state-evolution-job.ts';
const EVENTS = 20_000;
const KEYS = 4;

let cluster: TestCluster;
let work: string;
/** The savepoint every test restores from: value state 'count' (msgpack, version 1) and the operator 'tally'. */
let savepoint: string;
/** What the job wrote before it was stopped with the savepoint. */
let before: { key: string; count: number }[];

const jobArgs = (output: string, ...extra: string[]): string[] => ['--', '--events', String(EVENTS), '--keys', String(KEYS), '--output', output, ...extra];

function expectedCounts(): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < EVENTS; i++) expected.set(`k${i % KEYS}`, (expected.get(`k${i % KEYS}`) ?? 0) + 1);
  return expected;
}

/** Submits the job restored from the savepoint (detached) and waits for it to end. */
async function restore(flags: string[], output: string, ...extra: string[]): Promise<JobStatusView> {
  const submitted = await cluster.run(['run', JOB, '--no-typecheck', '-d', '--json', '-p', '2', '--from-savepoint', savepoint, ...flags, ...jobArgs(output, ...extra)]);
  expect(submitted.code, submitted.stderr).toBe(0);
  return cluster.waitForEnd((JSON.parse(submitted.stdout) as { jobId: string }).jobId, 120_000);
}

async function check(...extra: string[]): Promise<{ code: number; report: StateCheckReport & { restorable: boolean } }> {
  const result = await weir(['savepoint', 'check', savepoint, JOB, '--no-typecheck', '--json', ...extra]);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as StateCheckReport & { restorable: boolean } };
}

const statusOf = (report: StateCheckReport, operator: string, state: string): string | undefined => report.rows.find((r) => r.operator === operator && r.state === state)?.status;

async function written(output: string): Promise<boolean> {
  return (await readdir(output).catch(() => [])).some((f) => !f.startsWith('.'));
}

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-state-compat-'));
  const output = join(work, 'before');
  const submitted = await cluster.run(['run', JOB, '--no-typecheck', '-d', '--json', '-p', '2', ...jobArgs(output, '--rate', '1000', '--with-tally')]);
  expect(submitted.code, submitted.stderr).toBe(0);
  const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
  await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 1 ? true : undefined), 60_000, 'a checkpoint');
  const stopped = await cluster.run(['stop', jobId, '--savepoint-path', join(work, 'savepoints'), '--json']);
  expect(stopped.code, stopped.stderr).toBe(0);
  savepoint = (JSON.parse(stopped.stdout) as { path: string }).path;
  before = await readJsonLines<{ key: string; count: number }>(output);
  expect(before.length).toBeGreaterThan(0);
  expect(before.length).toBeLessThan(EVENTS);
}, 180_000);

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the savepoint metadata', () => {
  it('records every state of every operator: name, kind, serializer and version', async () => {
    const { metadata } = JSON.parse(await readFile(join(savepoint, CHECKPOINT_METADATA_FILE), 'utf8')) as { metadata: CheckpointMetadata };
    expect(metadata.operators['count']!.states).toEqual([
      { name: 'timers', kind: 'timers', serializer: 'msgpack', version: 1 },
      { name: 'count', kind: 'value', serializer: 'msgpack', version: 1 },
    ]);
    expect(metadata.operators['tally']!.states).toContainEqual({ name: 'tally', kind: 'value', serializer: 'msgpack', version: 1 });
    expect(metadata.operators['events']!.states).toEqual([{ name: 'operator-state', kind: 'operator-list', serializer: 'msgpack', version: 1 }]);
  });
});

describe('weir savepoint check', () => {
  it('maps the same job and says which declared states are new (exit 0)', async () => {
    const { code, report } = await check('--', '--with-tally', '--extra-state');
    expect(code).toBe(0);
    expect(report.restorable).toBe(true);
    expect(statusOf(report, 'count', 'count')).toBe('maps');
    expect(statusOf(report, 'tally', 'tally')).toBe('maps');
    expect(statusOf(report, 'count', 'seen')).toBe('new');
    expect(report.problems).toEqual([]);
  });

  it('says the state of a removed operator would be dropped: exit 1, or 0 with -n', async () => {
    const [strict, allowed] = await Promise.all([check(), check('-n')]);
    expect(strict.code).toBe(1);
    expect(statusOf(strict.report, 'tally', 'tally')).toBe('dropped');
    expect(strict.report.problems.join('\n')).toContain("operator 'tally', which the job does not have");
    expect(allowed.code).toBe(0);
    expect(statusOf(allowed.report, 'tally', 'tally')).toBe('dropped');
  });

  it('names an incompatible kind, serializer and version with the reason (exit 1), and a migration as migrates', async () => {
    const cases = [
      [['--state-kind', 'list'], 'the kind changed from value to list'],
      [['--serializer', 'json'], 'the serializer changed from msgpack to json'],
      [['--state-version', '2'], 'the version changed from 1 to 2 without a migration'],
    ] as const;
    const [migrating, ...checked] = await Promise.all([check('--', '--with-tally', '--state-version', '2', '--migrate'), ...cases.map(([flags]) => check('--', '--with-tally', ...flags))]);
    cases.forEach(([flags, reason], i) => {
      const { code, report } = checked[i]!;
      expect(code, flags.join(' ')).toBe(1);
      const row = report.rows.find((r) => r.operator === 'count' && r.state === 'count')!;
      expect(row.status).toBe('incompatible');
      expect(row.reason).toContain(reason);
    });
    expect(migrating!.code).toBe(0);
    expect(statusOf(migrating!.report, 'count', 'count')).toBe('migrates');
  });

  it('prints a table with the verdict', async () => {
    const result = await weir(['savepoint', 'check', savepoint, JOB, '--no-typecheck', '--', '--with-tally', '--state-kind', 'list']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/OPERATOR\s+STATE\s+STATUS\s+SAVEPOINT\s+JOB\s+REASON/);
    expect(result.stdout).toMatch(/count\s+count\s+incompatible\s+value state, msgpack, version 1\s+list state, msgpack, version 1\s+the kind changed/);
    expect(result.stdout).toContain(`Restoring the job from ${savepoint} would fail:`);
    expect(result.stdout).toContain('StateMigrationError');
  });

  it('names a savepoint that is not there', async () => {
    const result = await weir(['savepoint', 'check', join(work, 'nothing'), JOB, '--no-typecheck']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read the savepoint at ${join(work, 'nothing')}`);
  });
});

describe('restoring a job whose state changed', () => {
  it('of another kind, serializer or version fails at once with a StateMigrationError, no restart, nothing written', async () => {
    const cases = [
      [['--state-kind', 'list'], 'the job declares list state, msgpack, version 1'],
      [['--serializer', 'json'], 'the job declares value state, json, version 1'],
      [['--state-version', '2'], 'the job declares value state, msgpack, version 2'],
    ] as const;
    const outputs = cases.map(([flags]) => join(work, `changed${flags.join('')}`));
    const views = await Promise.all(cases.map(([flags], i) => restore(['--restart-strategy', 'fixed-delay:attempts=5,delay=100ms'], outputs[i]!, '--with-tally', ...flags)));
    for (const [i, [, declares]] of cases.entries()) {
      const view = views[i]!;
      expect(view.status).toBe('FAILED');
      expect(view.restarts).toBe(0);
      expect(view.error).toContain('no restart can cure');
      expect(view.error).toContain("StateMigrationError: operator 'count', state 'count': the checkpoint has value state, msgpack, version 1");
      expect(view.error).toContain(declares);
      expect(await written(outputs[i]!)).toBe(false);
    }
  });

  it('used without declaring it fails on its first use the same way, with no restart', async () => {
    const view = await restore(['--restart-strategy', 'fixed-delay:attempts=5,delay=100ms'], join(work, 'lazy'), '--with-tally', '--lazy', '--state-kind', 'list');
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(0);
    expect(view.error).toContain('StateMigrationError');
    expect(view.error).toContain("operator 'count', state 'count': the checkpoint has value state, msgpack, version 1, the job declares list state");
  });

  it('to a new version with a migration keeps every count exactly', async () => {
    const output = join(work, 'migrated');
    const view = await restore([], output, '--with-tally', '--state-version', '2', '--migrate');
    expect(view.status, view.error ?? '').toBe('FINISHED');
    expect(checkExactCounts([...before, ...(await readJsonLines<{ key: string; count: number }>(output))], expectedCounts())).toEqual([]);
  });
});

describe('restoring without an operator that had state', () => {
  it('fails, naming the operator and --allow-non-restored-state', async () => {
    const view = await restore([], join(work, 'removed'));
    expect(view.status).toBe('FAILED');
    expect(view.restarts).toBe(0);
    expect(view.error).toContain("the savepoint has state for operator 'tally', which the job does not have");
    expect(view.error).toContain('--allow-non-restored-state');
  });

  it('with --allow-non-restored-state drops that state, says so in the log, and keeps the other counts exactly', async () => {
    const output = join(work, 'dropped');
    const view = await restore(['--allow-non-restored-state'], output);
    expect(view.status, view.error ?? '').toBe('FINISHED');
    expect(checkExactCounts([...before, ...(await readJsonLines<{ key: string; count: number }>(output))], expectedCounts())).toEqual([]);
    await eventually(async () => (cluster.log().includes("state 'tally' of operator 'tally' is not restored") ? true : undefined), 10_000, 'the log line');
  });
});
