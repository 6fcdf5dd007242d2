// Real jobs on a real `weir local` (coordinator + 2 worker processes), at
// parallelism 2, checked against an independent computation.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-jobs-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

describe('wordcount', () => {
  it('counts every word of a file at parallelism 2 across two workers', async () => {
    // A deterministic text with a skewed vocabulary, some punctuation and case.
    const vocabulary = ['river', 'Weir', 'stream', 'state', 'barrier', 'key', 'group', 'flow', 'credit', 'window'];
    const lines: string[] = [];
    let seed = 7;
    for (let l = 0; l < 20_000; l++) {
      const words: string[] = [];
      for (let w = 0; w < 1 + (l % 9); w++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        words.push(vocabulary[seed % (1 + (seed % vocabulary.length))]!);
      }
      lines.push(words.join(l % 3 === 0 ? ', ' : ' '));
    }
    const input = join(work, 'words.txt');
    await writeFile(input, lines.join('\n') + '\n');
    const expected = new Map<string, number>();
    for (const line of lines) {
      for (const word of line.toLowerCase().split(/[^\p{L}\p{N}']+/u).filter((w) => w.length > 0)) expected.set(word, (expected.get(word) ?? 0) + 1);
    }

    const output = join(work, 'wordcount-out');
    const result = await cluster.run(['run', 'examples/wordcount.ts', '-p', '2', '--', '--input', input, '--output', output]);
    expect(result.stderr).not.toContain('FAILED');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('FINISHED');

    const last = new Map<string, number>();
    for (const r of await readJsonLines<{ word: string; count: number }>(output)) last.set(r.word, r.count);
    expect(Object.fromEntries(last)).toEqual(Object.fromEntries(expected));
  });
});

describe('keyed-counts', () => {
  it('emits every count 1..n of every key exactly once, with subtasks spread over both workers', async () => {
    const events = 50_000;
    const keys = 13;
    const output = join(work, 'keyed-out');
    const submit = await cluster.run(['run', 'examples/keyed-counts.ts', '-p', '2', '-d', '--json', '--', '--events', String(events), '--keys', String(keys), '--output', output]);
    expect(submit.code).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };

    let view = await cluster.status(jobId);
    while (!['FINISHED', 'FAILED', 'CANCELED'].includes(view.status)) {
      await new Promise((r) => setTimeout(r, 200));
      view = await cluster.status(jobId);
    }
    expect(view.status).toBe('FINISHED');
    expect(view.restarts).toBe(0);
    expect(view.vertices.map((v) => v.parallelism)).toEqual([2, 2]);
    const workers = new Set(view.vertices.flatMap((v) => v.subtasks.map((s) => s.workerId)));
    expect(workers.size).toBe(2);
    const source = view.vertices[0]!;
    expect(source.subtasks.reduce((n, s) => n + s.recordsOut, 0)).toBe(events);
    const counter = view.vertices[1]!;
    expect(counter.subtasks.reduce((n, s) => n + s.recordsIn, 0)).toBe(events);

    const expected = new Map<string, number>();
    for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
    const records = await readJsonLines<{ key: string; count: number }>(output);
    expect(checkExactCounts(records, expected)).toEqual([]);

    const list = await cluster.run(['list', '--json']);
    expect(JSON.parse(list.stdout).map((j: { jobId: string }) => j.jobId)).toContain(jobId);
  });
});

describe('submission', () => {
  it('is idempotent: a SubmitJob retried with the same submission id makes one job, not two', async () => {
    const { prepareJob } = await import('@weir/client');
    const { jobManagerClient, unaryCall, useInternalTransport } = await import('@weir/protocol');
    const { TEST_TLS } = await import('./helpers/test-tls.ts');
    // This test calls the coordinator as a member of the cluster (the members' certificate).
    useInternalTransport({ kind: 'mtls', files: TEST_TLS });
    const output = join(work, 'idempotent');
    const prepared = await prepareJob('examples/keyed-counts.ts', ['--events', '1000', '--keys', '3', '--output', output], 1);
    const client = jobManagerClient(cluster.address);
    try {
      const request = {
        name: 'idempotent',
        jobGraphJson: JSON.stringify(prepared.graph),
        artifact: prepared.artifact,
        args: ['--events', '1000', '--keys', '3', '--output', output],
        fromSavepoint: '',
        allowNonRestoredState: false,
        submissionId: 'ab'.repeat(16),
      };
      const before = (await cluster.run(['list', '--json'])).stdout;
      const first = await unaryCall(client, 'submitJob', request, 30_000);
      const second = await unaryCall(client, 'submitJob', request, 30_000);
      expect(first.jobId).toBe('ab'.repeat(16));
      expect(second.jobId).toBe(first.jobId);
      const jobs = JSON.parse((await cluster.run(['list', '--json'])).stdout) as { jobId: string }[];
      expect(jobs.length).toBe((JSON.parse(before) as unknown[]).length + 1);
      expect((await cluster.waitForEnd(first.jobId)).status).toBe('FINISHED');
    } finally {
      client.close();
    }
  });
});
