// The Kubernetes manifests in deploy/k8s, checked without an API server:
// every overlay builds with kustomize, every object is valid against the
// Kubernetes schema with unknown fields rejected, and the objects of a build
// fit together (selectors, ports, referenced objects, weir commands and flags).
import { beforeAll, describe, expect, it } from 'vitest';
import { crossReferenceProblems, fetchK8sTools, kustomizeBuild, SchemaValidator, weirCommandLine, type K8sObject } from './helpers/k8s-manifests.ts';

const OVERLAYS = ['deploy/k8s/overlays/dev', 'deploy/k8s/overlays/ha'];
/** Secrets an overlay's documentation has the operator create (the S3 credentials of overlays/ha/s3-credentials.yaml). */
const OPERATOR_SECRETS: Record<string, string[]> = { 'deploy/k8s/overlays/ha': ['weir-s3-credentials'] };

let schema: SchemaValidator;
let weirCommands: Map<string, Set<string>>;
const builds = new Map<string, K8sObject[]>();

beforeAll(async () => {
  await fetchK8sTools();
  [schema, weirCommands] = await Promise.all([SchemaValidator.load(), weirCommandLine()]);
  for (const dir of [...OVERLAYS, 'deploy/k8s/submit']) builds.set(dir, await kustomizeBuild(dir));
  // A dozen `weir <command> --help` runs: slow on a loaded machine.
}, 240_000);

const count = (objects: K8sObject[], kind: string, name: string): number | undefined =>
  (objects.find((o) => o.kind === kind && o.metadata.name === name)?.spec as { replicas?: number } | undefined)?.replicas;

describe('deploy/k8s', () => {
  it('reads the weir command line it checks against', () => {
    expect(weirCommands.get('worker')).toContain('--advertised-host');
    expect(weirCommands.get('coordinator')).toContain('--config');
    expect(weirCommands.get('run')).toContain('--detached');
  });

  it.each([...OVERLAYS, 'deploy/k8s/submit'])('%s is valid against the Kubernetes schema', (dir) => {
    const objects = builds.get(dir)!;
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap((o) => schema.problems(o))).toEqual([]);
  });

  it.each(OVERLAYS)('%s fits together, and with the submit Job', (dir) => {
    const secrets = OPERATOR_SECRETS[dir] ?? [];
    expect(crossReferenceProblems(builds.get(dir)!, weirCommands, secrets)).toEqual([]);
    // The submit Job runs in the cluster's namespace: its ServiceAccount and coordinator Service come from the overlay.
    expect(crossReferenceProblems([...builds.get(dir)!, ...builds.get('deploy/k8s/submit')!], weirCommands, secrets)).toEqual([]);
  });

  it.each(OVERLAYS)('%s secures every connection: certificates and tokens mounted, probes on the plaintext health port', (dir) => {
    const objects = builds.get(dir)!;
    const config = (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('weir-config-'))!.data as Record<string, string>)['config.yaml']!;
    expect(config).toMatch(/internalCa: \/etc\/weir-tls\/ca\.crt\n {2}internalCert: \/etc\/weir-tls\/tls\.crt\n {2}internalKey: \/etc\/weir-tls\/tls\.key/);
    expect(config).toContain('tokensFile: /etc/weir-tokens/tokens');
    expect(config).not.toMatch(/transport: plaintext/);
    for (const [kind, name, secrets] of [['Deployment', 'weir-coordinator', ['weir-tls', 'weir-tokens']], ['StatefulSet', 'weir-worker', ['weir-tls']]] as const) {
      const pod = (objects.find((o) => o.kind === kind && o.metadata.name === name)!.spec as { template: { spec: { containers: { volumeMounts: { name: string; mountPath: string }[]; readinessProbe: unknown; livenessProbe: unknown; ports: { name: string; containerPort: number }[] }[]; volumes: { name: string; secret?: { secretName: string } }[] } } }).template.spec;
      expect(pod.volumes.filter((v) => v.secret).map((v) => v.secret!.secretName)).toEqual(secrets);
      const container = pod.containers[0]!;
      expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: 'tls', mountPath: '/etc/weir-tls' }));
      expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 9249 });
      expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'metrics' } });
      expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'metrics' } });
    }
  });

  it('gives weir a configuration it reads, and starts nothing without the certificate files', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { weir } = await import('./helpers/weir-cli.ts');
    const config = (builds.get('deploy/k8s/overlays/dev')!.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('weir-config-'))!.data as Record<string, string>)['config.yaml']!;
    const file = join(await mkdtemp(join(tmpdir(), 'weir-k8s-config-')), 'config.yaml');
    await writeFile(file, config);
    // Only the file's settings: none of the test environment's certificates.
    const noTls = { WEIR_SSL_INTERNAL_CA: '', WEIR_SSL_INTERNAL_CERT: '', WEIR_SSL_INTERNAL_KEY: '', WEIR_TRANSPORT: '', WEIR_REST_TRANSPORT: '' };
    const result = await weir(['worker', '--config', file], { env: noTls, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read the CA certificate /etc/weir-tls/ca.crt (security.internalCa)');
  });

  it('sizes the overlays as documented', () => {
    const dev = builds.get('deploy/k8s/overlays/dev')!;
    expect([count(dev, 'StatefulSet', 'weir-etcd'), count(dev, 'Deployment', 'weir-coordinator'), count(dev, 'StatefulSet', 'weir-worker')]).toEqual([1, 1, 2]);
    const ha = builds.get('deploy/k8s/overlays/ha')!;
    expect([count(ha, 'StatefulSet', 'weir-etcd'), count(ha, 'Deployment', 'weir-coordinator'), count(ha, 'StatefulSet', 'weir-worker')]).toEqual([3, 2, 3]);
    expect(ha.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name).sort()).toEqual(['weir-coordinator', 'weir-etcd', 'weir-worker']);
    // Every etcd member is named in the initial cluster and in the configuration the coordinators read.
    const config = ha.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('weir-config-'))!.data as Record<string, string>;
    for (const member of ['weir-etcd-0', 'weir-etcd-1', 'weir-etcd-2']) {
      expect(JSON.stringify(ha.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'weir-etcd'))).toContain(`${member}=http://${member}.weir-etcd:2380`);
      expect(config['config.yaml']).toContain(`http://${member}.weir-etcd:2379`);
    }
  });
});

describe('the checks', () => {
  /** The dev build with one change made by `mutate`. */
  const broken = (mutate: (objects: K8sObject[]) => void): K8sObject[] => {
    const objects = structuredClone(builds.get('deploy/k8s/overlays/dev')!);
    mutate(objects);
    return objects;
  };
  const find = (objects: K8sObject[], kind: string, name: string): K8sObject => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  type Spec = { ports: { targetPort: string }[]; selector: Record<string, string> };
  type Pod = { template: { spec: { containers: { args: string[]; readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { port: string } }; env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[]; volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[]; serviceAccountName: string } } };

  it('fail on a wrong port name, naming the Service and the workload', () => {
    const objects = broken((o) => {
      (find(o, 'Service', 'weir-coordinator').spec as Spec).ports[0]!.targetPort = 'rcp';
      (find(o, 'StatefulSet', 'weir-worker').spec as Pod).template.spec.containers[0]!.livenessProbe.httpGet.port = 'grpc';
      (find(o, 'Deployment', 'weir-coordinator').spec as Pod).template.spec.containers[0]!.readinessProbe.httpGet.port = 'health';
    });
    expect(crossReferenceProblems(objects, weirCommands)).toEqual([
      'Service/weir-coordinator: targetPort rcp is not a container port of Deployment/weir-coordinator',
      'Deployment/weir-coordinator container coordinator: readinessProbe port health is not a container port',
      'StatefulSet/weir-worker container worker: livenessProbe port grpc is not a container port',
    ]);
  });

  it('fail on a selector that matches nothing', () => {
    const objects = broken((o) => ((find(o, 'Service', 'weir-worker').spec as Spec).selector['app.kubernetes.io/component'] = 'workers'));
    expect(crossReferenceProblems(objects, weirCommands)).toEqual([
      'Service/weir-worker: selector {"app.kubernetes.io/component":"workers","app.kubernetes.io/name":"weir"} matches no pod template',
    ]);
  });

  it('fail on a missing ConfigMap or ServiceAccount, and on a flag weir does not have', () => {
    const objects = broken((o) => {
      const pod = (find(o, 'Deployment', 'weir-coordinator').spec as Pod).template.spec;
      pod.volumes.find((v) => v.name === 'config')!.configMap!.name = 'weir-conf';
      pod.serviceAccountName = 'weir-admin';
      pod.containers[0]!.args.push('--leader-lease', '5');
    });
    expect(crossReferenceProblems(objects, weirCommands)).toEqual([
      'Deployment/weir-coordinator: ServiceAccount weir-admin is not in the build',
      'Deployment/weir-coordinator: volume config: ConfigMap weir-conf is not in the build',
      'Deployment/weir-coordinator container coordinator: weir coordinator has no flag --leader-lease',
    ]);
  });

  it('fail on a Secret that is neither in the build nor documented, and on a key it does not have', () => {
    const objects = broken((o) => {
      (find(o, 'StatefulSet', 'weir-worker').spec as Pod).template.spec.volumes.find((v) => v.name === 'tls')!.secret!.secretName = 'weir-certs';
    });
    const submit = structuredClone(builds.get('deploy/k8s/submit')!);
    const job = submit.find((o) => o.kind === 'Job')!.spec as Pod;
    job.template.spec.containers[0]!.env!.find((e) => e.name === 'WEIR_TOKEN')!.valueFrom!.secretKeyRef!.key = 'admin';
    expect(crossReferenceProblems([...objects, ...submit], weirCommands)).toEqual([
      'StatefulSet/weir-worker: volume tls: Secret weir-certs is not in the build nor one of the documented Secrets (weir-tls, weir-tokens)',
      'Job/weir-submit container submit: env WEIR_TOKEN: Secret weir-tokens has no key admin (documented keys: tokens, submitter)',
    ]);
  });

  it('fail on an unknown field or a wrong type, by the schema', () => {
    const objects = broken((o) => {
      const spec = find(o, 'Deployment', 'weir-coordinator').spec as Record<string, unknown>;
      spec.replica = 2;
      (find(o, 'Service', 'weir-coordinator').spec as { ports: { port: unknown }[] }).ports[0]!.port = 'six';
    });
    expect(schema.problems(find(objects, 'Deployment', 'weir-coordinator'))).toEqual(["Deployment/weir-coordinator: /spec: must NOT have additional properties 'replica'"]);
    expect(schema.problems(find(objects, 'Service', 'weir-coordinator'))).toContain('Service/weir-coordinator: /spec/ports/0/port: must be integer');
  });
});
