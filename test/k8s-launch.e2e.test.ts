// deploy/k8s/overlays/ha launched from its built manifests as real processes
// (test/helpers/manifest-launch.ts): every pod in a network namespace of its
// own, with the command, arguments, environment, volumes, probes and
// replicas the overlay declares, Services resolving to ready pods, and
// checkpoints on a real S3 server (SeaweedFS) outside the pods. A job
// submitted through the coordinator Service by the submit Job's own pod spec
// survives a SIGKILLed leader coordinator, a SIGKILLed worker (replaced under
// the same name) and a rolling restart of every worker by SIGTERM, and its
// transactional file output holds each count exactly once. A broken manifest
// fails the launch, naming what is wrong.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointView, ClusterView, JobStatusView } from '@weir/protocol';
import { launchWithS3, type HaLaunch } from './helpers/ha-launch.ts';
import { fetchK8sTools, kustomizeBuild, type K8sObject } from './helpers/k8s-manifests.ts';
import { eventually } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { join } from 'node:path';

const COORDINATOR = 'weir-coordinator:6123';
const EVENTS = 60_000;
const KEYS = 11;
const RATE = 600;

let ha: K8sObject[];
let submit: K8sObject[];
let run: HaLaunch | undefined;

beforeAll(async () => {
  await fetchK8sTools();
  [ha, submit] = await Promise.all([kustomizeBuild('deploy/k8s/overlays/ha'), kustomizeBuild('deploy/k8s/submit')]);
}, 120_000);

afterAll(async () => {
  await run?.stop();
}, 60_000);

beforeEach((context) => {
  context.onTestFailed(() => {
    process.stderr.write(`--- pods (tail) ---\n${run?.launch.logs() ?? ''}\n`);
  });
});

/** `weir ...args --json` in a pod's namespace, through the coordinator Service (as `kubectl exec` would run it). */
async function weirIn(pod: string, args: string[]): Promise<unknown> {
  const result = await run!.launch.exec(pod, ['weir', ...args, '--coordinator', COORDINATOR, '--json'], 60_000);
  if (result.exit !== 0) throw new Error(`weir ${args.join(' ')} in ${pod} exited ${result.exit}: ${result.output}`);
  return JSON.parse(result.stdout);
}

const workerPods = (): string[] => run!.launch.podsOf('weir-worker').map((p) => p.plan.name).sort();

/** The submit Job of deploy/k8s/submit, running a bounded job with checkpoints every 500 ms and a generous restart strategy. */
function submitJob(output: string): K8sObject {
  const job = structuredClone(submit.find((o) => o.kind === 'Job')!);
  const container = (job.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!;
  const dashes = container.args.indexOf('--');
  container.args.splice(dashes, container.args.length - dashes, '--checkpoint-interval', '500', '--restart-strategy', 'fixed-delay:attempts=100,delay=200ms', '--json', '--', '--events', String(EVENTS), '--keys', String(KEYS), '--rate', String(RATE), '--output', output);
  return job;
}

describe('the ha overlay as a cluster', () => {
  it('launches every pod the overlay declares and they all become ready', async () => {
    // The launch runs the submit Job in the cluster's namespace, with its ConfigMap.
    run = await launchWithS3([...ha, ...submit.filter((o) => o.kind === 'ConfigMap')], { probePeriodMs: 250 });
    await run.launch.waitReady(90_000);
    expect(run.launch.podsOf('weir-etcd').map((p) => p.plan.name).sort()).toEqual(['weir-etcd-0', 'weir-etcd-1', 'weir-etcd-2']);
    expect(run.launch.podsOf('weir-coordinator')).toHaveLength(2);
    expect(workerPods()).toEqual(['weir-worker-0', 'weir-worker-1', 'weir-worker-2']);
    const cluster = (await weirIn('weir-worker-0', ['cluster'])) as ClusterView;
    expect(cluster.workers.map((w) => w.workerId).sort()).toEqual(workerPods());
    expect(cluster.workers.map((w) => w.address.split(':')[0]).sort()).toEqual(workerPods().map((p) => `${p}.weir-worker`));
  }, 150_000);

  it('runs a job submitted through the Service exactly once through leader and worker failures and a rolling restart', async () => {
    const launch = run!.launch;
    const outputDir = '/var/lib/weir/checkpoints/output/launch-counts';
    const submitted = await launch.runJob(submitJob(outputDir), 120_000);
    expect(submitted.exit, submitted.output).toBe(0);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
    const status = async (): Promise<JobStatusView> => (await weirIn(workerPods()[0]!, ['status', jobId])) as JobStatusView;
    const checkpointed = async (after: number): Promise<number> =>
      eventually(async () => {
        const s = await status();
        if (s.status === 'FINISHED' || s.status === 'FAILED') throw new Error(`the job ended (${s.status}) before the failures were done: run it longer`);
        if (s.status !== 'RUNNING') return undefined;
        const checkpoints = (await weirIn(workerPods()[0]!, ['checkpoints', jobId])) as CheckpointView[];
        const id = Math.max(0, ...checkpoints.filter((c) => c.status === 'COMPLETED').map((c) => c.checkpointId));
        return id > after ? id : undefined;
      }, 90_000, `job ${jobId} running with a checkpoint after ${after}`);
    let last = await checkpointed(0);
    // Checkpoints are in the bucket.
    expect((await run!.s3.keys(`checkpoints/${jobId}/`)).some((k) => k.endsWith('/_metadata'))).toBe(true);

    // The leader's pod, named by its advertised pod IP.
    const cluster = (await weirIn(workerPods()[0]!, ['cluster'])) as ClusterView;
    const leaderIp = cluster.address.split(':')[0];
    const leader = launch.podsOf('weir-coordinator').find((p) => p.ip === leaderIp);
    expect(leader, `a coordinator pod at ${leaderIp}`).toBeDefined();
    await launch.deletePod(leader!.plan.name, 'SIGKILL');
    await launch.waitReady(90_000, 'the cluster after the leader was killed');
    last = await checkpointed(last);

    await launch.deletePod('weir-worker-1', 'SIGKILL');
    await launch.waitReady(90_000, 'the cluster after weir-worker-1 was killed');
    last = await checkpointed(last);

    for (const pod of workerPods()) {
      await launch.deletePod(pod, 'SIGTERM');
      await launch.waitReady(90_000, `the cluster after ${pod} was rolled`);
    }
    await checkpointed(last);

    const ended = await eventually(async () => {
      const s = await status();
      return s.status === 'FINISHED' || s.status === 'FAILED' ? s : undefined;
    }, 150_000, `job ${jobId} to end`);
    expect(ended.status).toBe('FINISHED');
    expect(ended.restarts).toBeGreaterThanOrEqual(2);
    const expected = new Map<string, number>();
    for (let i = 0; i < EVENTS; i++) expected.set(`k${i % KEYS}`, (expected.get(`k${i % KEYS}`) ?? 0) + 1);
    const output = join(launch.workDir, 'claims', 'weir-checkpoints', 'output', 'launch-counts');
    expect(checkExactCounts(await readJsonLines(output), expected)).toEqual([]);
  }, 240_000);
});
