// deploy/k8s/overlays/ha launched from its manifests as real processes
// (test/helpers/manifest-launch.ts: a network namespace per pod, probes every
// 100 ms), checkpoints on SeaweedFS. Measures: launch start -> every pod
// ready; SIGTERM of the leader's pod -> a new leader serving the REST API
// through the Service; SIGKILL of the leader's pod -> the job's committed
// output (exactly-once keyed counts, checkpoint every 500 ms) growing again;
// a checkpoint of --keys keys of RocksDB state to S3 (bench/jobs/keyed-count.ts,
// after every key has state). Needs root (ip netns), etcd and SeaweedFS
// (scripts/seaweedfs.sh fetch).
// Run: npm run bench -- k8s-launch [--keys 1000000]
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckpointView, JobStatusView } from '@weir/protocol';
import { coordinatorRest, launchWithS3, type HaLaunch } from '../test/helpers/ha-launch.ts';
import { fetchK8sTools, kustomizeBuild, type K8sObject } from '../test/helpers/k8s-manifests.ts';
import { REPO_ROOT } from '../test/helpers/weir-cli.ts';
import { machine } from './support/cluster.ts';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' } } });
const keys = Number(values.keys);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Bytes in committed part files (the sink's pending files live in subdirectories). */
async function committedBytes(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    if (name.startsWith('part-')) total += (await stat(join(directory, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

await fetchK8sTools();
const [ha, submit] = await Promise.all([kustomizeBuild('deploy/k8s/overlays/ha'), kustomizeBuild('deploy/k8s/submit')]);
let run: HaLaunch | undefined;
const rows: string[] = [];
try {
  run = await launchWithS3([...ha, ...submit.filter((o) => o.kind === 'ConfigMap')], { probePeriodMs: 100 });
  const launch = run.launch;
  await launch.waitReady(120_000);
  const readyMs = performance.now() - run.startedAt;
  rows.push(`| launch start -> all ${[...launch.pods.values()].length} pods ready | ${(readyMs / 1000).toFixed(1)} s | < 10 s |`);

  const rest = <T>(path: string): Promise<T | undefined> => coordinatorRest<T>(run!, path);
  const leaderPod = async (): Promise<{ name: string; ip: string }> => {
    const ip = (await until(() => rest<{ address: string }>('/overview'), 30_000, 'a leader'))!.address.split(':')[0]!;
    const pod = launch.podsOf('weir-coordinator').find((p) => p.ip === ip);
    if (!pod) throw new Error(`no coordinator pod at ${ip}`);
    return { name: pod.plan.name, ip };
  };

  // SIGTERM of the leader's pod: it resigns, the standby leads.
  const first = await leaderPod();
  const termAt = performance.now();
  const deleted = launch.deletePod(first.name, 'SIGTERM');
  await until(async () => ((await rest<{ address: string }>('/overview'))?.address.startsWith(`${first.ip}:`) === false ? true : undefined), 30_000, 'a new leader after SIGTERM', 20);
  rows.push(`| leader pod SIGTERM -> new leader serving (REST through the Service) | ${((performance.now() - termAt) / 1000).toFixed(2)} s | < 2 s |`);
  await deleted;
  await launch.waitReady(60_000);

  // SIGKILL of the leader's pod with a job running: until committed output grows again.
  const job = structuredClone(submit.find((o) => o.kind === 'Job')!) as K8sObject;
  const args = (job.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args;
  args.splice(args.indexOf('--'), args.length, '--checkpoint-interval', '500', '--restart-strategy', 'fixed-delay:attempts=100,delay=200ms', '--', '--keys', '100', '--rate', '2000', '--output', '/var/lib/weir/checkpoints/output/bench');
  const submitted = await launch.runJob(job, 120_000);
  if (submitted.exit !== 0) throw new Error(`submit failed: ${submitted.output}`);
  const output = join(launch.workDir, 'claims', 'weir-checkpoints', 'output', 'bench');
  await until(async () => ((await committedBytes(output)) > 0 ? true : undefined), 60_000, 'committed output');
  await sleep(3_000);
  const victim = await leaderPod();
  const killAt = performance.now();
  const replaced = launch.deletePod(victim.name, 'SIGKILL');
  const before = await committedBytes(output);
  await until(async () => ((await committedBytes(output)) > before ? true : undefined), 60_000, 'output after the leader was killed', 20);
  rows.push(`| leader pod SIGKILL -> committed output growing again (lease 5 s) | ${((performance.now() - killAt) / 1000).toFixed(2)} s | < 7 s |`);
  await replaced;
  await launch.waitReady(60_000);
  const jobs = await until(() => rest<{ jobs: { jobId: string; status: string }[] }>('/jobs'), 30_000, 'the job list');
  const worker = launch.podsOf('weir-worker')[0]!.plan.name;
  for (const j of jobs.jobs.filter((x) => x.status === 'RUNNING')) await launch.exec(worker, ['weir', 'cancel', j.jobId, '--coordinator', 'weir-coordinator:6123'], 60_000);

  // A checkpoint of `keys` keys of RocksDB state to S3.
  const bench = await launch.exec(worker, ['weir', 'run', join(REPO_ROOT, 'bench/jobs/keyed-count.ts'), '-p', '2', '-d', '--json', '--no-typecheck', '--checkpoint-interval', '20000', '--coordinator', 'weir-coordinator:6123', '--', '--keys', String(keys), '--state', 'rocksdb'], 120_000);
  if (bench.exit !== 0) throw new Error(`submit failed: ${bench.output}`);
  const { jobId } = JSON.parse(bench.stdout) as { jobId: string };
  const filledAt = await until(
    async () => {
      const view = await rest<JobStatusView>(`/jobs/${jobId}`);
      if (view && view.status !== 'RUNNING' && view.status !== 'CREATED') throw new Error(`job is ${view.status}: ${view.error}`);
      return (view?.vertices.at(-1)?.subtasks.reduce((n, s) => n + s.recordsIn, 0) ?? 0) >= keys ? Date.now() : undefined;
    },
    15 * 60_000,
    `${keys} keys with state`,
    500,
  );
  const checkpoint = await until(
    async () => (await rest<{ history: CheckpointView[] }>(`/jobs/${jobId}/checkpoints`))?.history.find((c) => c.status === 'COMPLETED' && c.triggeredAtMs > filledAt),
    120_000,
    'a checkpoint after every key has state',
    500,
  );
  rows.push(`| checkpoint of ${keys.toLocaleString('en')} keys of RocksDB state to S3 (${(checkpoint.bytes / 1e6).toFixed(1)} MB) | ${(checkpoint.durationMs! / 1000).toFixed(2)} s | < 3 s |`);
} finally {
  await run?.stop();
}
process.stdout.write(`machine: ${machine()}\n\n| measure | result | target |\n|---|---|---|\n${rows.join('\n')}\n`);
