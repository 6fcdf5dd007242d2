// deploy/k8s/overlays/ha launched from its built manifests as real processes
// (test/helpers/manifest-launch.ts): every pod in a network namespace of its
// own, with the command, arguments, environment, volumes, probes and
// replicas the overlay declares, Services resolving to ready pods, and
// checkpoints on a real S3 server (SeaweedFS) outside the pods. A job
// submitted through the coordinator Service by the submit Job's own pod spec
// survives a SIGKILLed leader coordinator, a SIGKILLed worker (replaced under
// the same name) and a rolling restart of every worker by SIGTERM, and its
// transactional file output holds each count exactly once. A broken manifest
// (a port name, an etcd address) or a missing Secret fails the launch, naming
// what is wrong.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobStatusView } from '@weir/protocol';
import { coordinatorRest, launchWithS3, type HaLaunch } from './helpers/ha-launch.ts';
import { fetchK8sTools, kustomizeBuild, type K8sObject } from './helpers/k8s-manifests.ts';
import { eventually } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { join } from 'node:path';

const EVENTS = 30_000;
const KEYS = 11;
const RATE = 500;

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

const rest = <T>(path: string): Promise<T | undefined> => coordinatorRest<T>(run!, path);

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
    const workers = await rest<{ workers: { workerId: string; address: string }[] }>('/workers');
    expect(workers?.workers.map((w) => w.workerId).sort()).toEqual(workerPods());
    expect(workers?.workers.map((w) => w.address.split(':')[0]).sort()).toEqual(workerPods().map((p) => `${p}.weir-worker`));
  }, 150_000);

  it('runs a job submitted through the Service exactly once through leader and worker failures and a rolling restart', async () => {
    const launch = run!.launch;
    const outputDir = '/var/lib/weir/checkpoints/output/launch-counts';
    const submitted = await launch.runJob(submitJob(outputDir), 120_000);
    expect(submitted.exit, submitted.output).toBe(0);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
    const status = (): Promise<JobStatusView | undefined> => rest<JobStatusView>(`/jobs/${jobId}`);
    const checkpointed = async (after: number): Promise<number> =>
      eventually(async () => {
        const s = await status();
        if (s?.status === 'FINISHED' || s?.status === 'FAILED') throw new Error(`the job ended (${s.status}) before the failures were done: run it longer`);
        if (s?.status !== 'RUNNING') return undefined;
        const id = (await rest<{ latestCompleted: { checkpointId: number } | null }>(`/jobs/${jobId}/checkpoints`))?.latestCompleted?.checkpointId ?? 0;
        return id > after ? id : undefined;
      }, 90_000, `job ${jobId} running with a checkpoint after ${after}`);
    let last = await checkpointed(0);
    // Checkpoints are in the bucket.
    expect((await run!.s3.keys(`checkpoints/${jobId}/`)).some((k) => k.endsWith('/_metadata'))).toBe(true);

    // The leader's pod, named by its advertised pod IP.
    const leaderIp = (await rest<{ address: string }>('/overview'))?.address.split(':')[0];
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
      return s?.status === 'FINISHED' || s?.status === 'FAILED' ? s : undefined;
    }, 150_000, `job ${jobId} to end`);
    expect(ended.status).toBe('FINISHED');
    // The killed worker's subtasks restarted (a leader that resumes a job, and a worker that stops cleanly, may restart none).
    expect(ended.restarts).toBeGreaterThanOrEqual(1);
    const expected = new Map<string, number>();
    for (let i = 0; i < EVENTS; i++) expected.set(`k${i % KEYS}`, (expected.get(`k${i % KEYS}`) ?? 0) + 1);
    const output = join(launch.workDir, 'claims', 'weir-checkpoints', 'output', 'launch-counts');
    expect(checkExactCounts(await readJsonLines(output), expected)).toEqual([]);
  }, 240_000);
});

describe('a broken ha overlay', () => {
  beforeAll(async () => {
    await run?.stop();
    run = undefined;
  }, 60_000);

  const find = (objects: K8sObject[], kind: string, name: string): K8sObject => objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name))!;

  it('fails the launch on a Service port naming no container port, before starting anything', async () => {
    const objects = structuredClone(ha);
    (find(objects, 'Service', 'weir-coordinator').spec as { ports: { targetPort: string }[] }).ports[0]!.targetPort = 'rcp';
    await expect(launchWithS3(objects)).rejects.toThrow(/^Service weir-coordinator port 6123: targetPort 'rcp' names no container port of weir-coordinator-\w+ \(ports: rpc, rest, metrics\)/);
  }, 60_000);

  it('fails the launch on a Secret it does not have, naming the pod, the variable and the Secret', async () => {
    await expect(launchWithS3(ha, { withoutSecrets: ['weir-s3-credentials'] })).rejects.toThrow(
      /^pod weir-(coordinator|worker)-\w+ container (coordinator|worker): env AWS_ACCESS_KEY_ID: no Secret weir-s3-credentials \(CreateContainerConfigError/,
    );
  }, 60_000);

  it('fails the launch on a wrong etcd address, naming the pods that are not ready and why', async () => {
    const objects = structuredClone(ha);
    const config = find(objects, 'ConfigMap', 'weir-config').data as Record<string, string>;
    config['config.yaml'] = config['config.yaml']!.replaceAll('.weir-etcd:2379', '.weir-etcd:2479');
    run = await launchWithS3(objects, { probePeriodMs: 250 });
    const failure = await run.launch.waitReady(20_000).then(() => undefined, (error: unknown) => (error as Error).message);
    expect(failure).toMatch(/^the launch is not ready after 20000 ms/);
    // Both coordinators are named, with their failing probe; etcd itself is fine.
    expect(failure!.match(/pod weir-coordinator-\w+ \(\S+\) is not ready: http probe of port 9249/g)).toHaveLength(2);
    expect(failure).toMatch(/ECONNREFUSED [\d.]+:2479/);
    expect(failure).not.toMatch(/pod weir-etcd-\d/);
  }, 120_000);
});
