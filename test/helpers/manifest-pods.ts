// Turns a kustomize build into what a kubelet would run: the pods of each
// Deployment, StatefulSet and Job (as many as `replicas` says, named as the
// controllers name them), each container's command line with `$(VAR)`
// expanded, its environment (values, ConfigMap and Secret keys, the downward
// API fields status.podIP, metadata.name and metadata.namespace, Service
// links), its volume mounts and its probes with named ports resolved. Only
// the fields the launch needs are read; a reference that cannot be resolved
// (a missing ConfigMap key, a probe on an undeclared port) is an error naming
// the pod, the container and the field, as the kubelet would report it.
import { randomBytes } from 'node:crypto';
import type { K8sObject } from './k8s-manifests.ts';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
interface ProbeSpec {
  tcpSocket?: { port: string | number };
  httpGet?: { port: string | number; path?: string };
  grpc?: { port: number; service?: string };
  periodSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
}
export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  readinessProbe?: ProbeSpec;
}
export interface VolumeSpec {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  emptyDir?: Record<string, unknown>;
  persistentVolumeClaim?: { claimName: string };
}
export interface PodSpec {
  containers: ContainerSpec[];
  volumes?: VolumeSpec[];
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
}

/** One pod a controller would create. */
export interface PlannedPod {
  name: string;
  workload: K8sObject;
  labels: Record<string, string>;
  spec: PodSpec;
  /** A StatefulSet's pods: the headless Service under which `name` resolves, and the claims of its volumeClaimTemplates. */
  subdomain?: string;
  claimTemplates: string[];
}

/** A Service as the launch serves it. */
export interface ServicePlan {
  name: string;
  headless: boolean;
  selector: Record<string, string>;
  publishNotReadyAddresses: boolean;
  ports: { name?: string; port: number; targetPort: string | number }[];
}

/** A readiness probe with its port number resolved. */
export interface Probe {
  kind: 'grpc' | 'http' | 'tcp';
  port: number;
  path?: string;
  service?: string;
  periodMs: number;
  failureThreshold: number;
  successThreshold: number;
  initialDelayMs: number;
  timeoutMs: number;
}

/** The values a container's environment and arguments are resolved from. */
export interface PodContext {
  namespace: string;
  podIp: string;
  configMaps: Map<string, Record<string, string>>;
  /** Secret contents by name (plain text values, not base64). */
  secrets: Map<string, Record<string, string>>;
  /** The Service link variables (`WEIR_COORDINATOR_SERVICE_HOST`...) of the namespace, unless the pod disables them. */
  serviceLinks: Record<string, string>;
}

const suffix = (): string => randomBytes(3).toString('hex').slice(0, 5);

/** The pods of one workload: `<name>-<ordinal>` for a StatefulSet, `<name>-<random>` for a Deployment or Job. */
export function podsOf(workload: K8sObject): PlannedPod[] {
  const spec = workload.spec as { replicas?: number; serviceName?: string; template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: { metadata: { name: string } }[] };
  const stateful = workload.kind === 'StatefulSet';
  const count = workload.kind === 'Job' ? 1 : (spec.replicas ?? 1);
  return Array.from({ length: count }, (_, i) => plannedPod(workload, stateful ? `${workload.metadata.name}-${i}` : `${workload.metadata.name}-${suffix()}`));
}

/** A pod of `workload` named `name` (a StatefulSet's replacement keeps its name; a Deployment's gets a new one). */
export function plannedPod(workload: K8sObject, name: string): PlannedPod {
  const spec = workload.spec as { serviceName?: string; template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: { metadata: { name: string } }[] };
  const stateful = workload.kind === 'StatefulSet';
  return {
    name,
    workload,
    labels: spec.template.metadata?.labels ?? {},
    spec: spec.template.spec,
    ...(stateful && spec.serviceName ? { subdomain: spec.serviceName } : {}),
    claimTemplates: (spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name),
  };
}

/** Every Service of the build. */
export function servicePlans(objects: K8sObject[]): ServicePlan[] {
  return objects
    .filter((o) => o.kind === 'Service')
    .map((o) => {
      const spec = o.spec as { clusterIP?: string; selector?: Record<string, string>; publishNotReadyAddresses?: boolean; ports?: { name?: string; port: number; targetPort?: string | number }[] };
      return {
        name: o.metadata.name,
        headless: spec.clusterIP === 'None',
        selector: spec.selector ?? {},
        publishNotReadyAddresses: spec.publishNotReadyAddresses ?? false,
        ports: (spec.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort ?? p.port })),
      };
    });
}

/** Whether `labels` match every pair of a selector (an empty selector selects nothing, as for a Service without one). */
export const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Kubernetes' Service link variables for ClusterIP Services: `<NAME>_SERVICE_HOST`, `<NAME>_PORT`, ... */
export function serviceLinkEnv(services: ServicePlan[], clusterIps: Map<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) {
    const ip = clusterIps.get(s.name);
    if (s.headless || !ip || s.ports.length === 0) continue;
    const prefix = s.name.toUpperCase().replaceAll('-', '_');
    env[`${prefix}_SERVICE_HOST`] = ip;
    env[`${prefix}_SERVICE_PORT`] = String(s.ports[0]!.port);
    env[`${prefix}_PORT`] = `tcp://${ip}:${s.ports[0]!.port}`;
    for (const p of s.ports) {
      if (p.name) env[`${prefix}_SERVICE_PORT_${p.name.toUpperCase().replaceAll('-', '_')}`] = String(p.port);
      const base = `${prefix}_PORT_${p.port}_TCP`;
      Object.assign(env, { [base]: `tcp://${ip}:${p.port}`, [`${base}_PROTO`]: 'tcp', [`${base}_PORT`]: String(p.port), [`${base}_ADDR`]: ip });
    }
  }
  return env;
}

/** `$(VAR)` replaced by the variable where it is defined (`$$(VAR)` stays literal), as Kubernetes expands env, command and args. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name: string | undefined) => (name === undefined ? '$' : (vars[name] ?? match)));
}

/** The container's environment in Kubernetes' order: Service links first, then `env` in order, each expanding the ones before it. */
export function containerEnv(pod: PlannedPod, container: ContainerSpec, ctx: PodContext): Record<string, string> {
  const where = `pod ${pod.name} container ${container.name}`;
  const env: Record<string, string> = pod.spec.enableServiceLinks === false ? {} : { ...ctx.serviceLinks };
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      env[e.name] = expand(e.value ?? '', env);
      continue;
    }
    const ref = from.configMapKeyRef ?? from.secretKeyRef;
    if (ref) {
      const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const source = (from.configMapKeyRef ? ctx.configMaps : ctx.secrets).get(ref.name);
      const value = source?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new Error(`${where}: env ${e.name}: ${source ? `${kind} ${ref.name} has no key ${ref.key}` : `no ${kind} ${ref.name}`} (CreateContainerConfigError; add it to the build or give the launch its contents)`);
      }
      env[e.name] = value;
    } else if (from.fieldRef) {
      const fields: Record<string, string> = { 'status.podIP': ctx.podIp, 'metadata.name': pod.name, 'metadata.namespace': ctx.namespace };
      const value = fields[from.fieldRef.fieldPath];
      if (value === undefined) throw new Error(`${where}: env ${e.name}: fieldRef ${from.fieldRef.fieldPath} is not supported by the launch (supported: ${Object.keys(fields).join(', ')})`);
      env[e.name] = value;
    }
  }
  return env;
}

/** A port given by number or by the name of one of the container's ports. */
export function containerPort(pod: PlannedPod, container: ContainerSpec, port: string | number, what: string): number {
  if (typeof port === 'number') return port;
  const found = (container.ports ?? []).find((p) => p.name === port);
  if (!found) {
    throw new Error(`pod ${pod.name} container ${container.name}: ${what} port '${port}' is not a container port (ports: ${(container.ports ?? []).map((p) => p.name ?? p.containerPort).join(', ') || 'none'})`);
  }
  return found.containerPort;
}

/** The container's readiness probe with its port resolved (none: ready once running). */
export function readinessProbe(pod: PlannedPod, container: ContainerSpec): Probe | undefined {
  const p = container.readinessProbe;
  if (!p) return undefined;
  const timing = {
    periodMs: (p.periodSeconds ?? 10) * 1000,
    failureThreshold: p.failureThreshold ?? 3,
    successThreshold: p.successThreshold ?? 1,
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
  };
  if (p.grpc) return { kind: 'grpc', port: p.grpc.port, ...(p.grpc.service ? { service: p.grpc.service } : {}), ...timing };
  if (p.httpGet) return { kind: 'http', port: containerPort(pod, container, p.httpGet.port, 'readinessProbe'), path: p.httpGet.path ?? '/', ...timing };
  if (p.tcpSocket) return { kind: 'tcp', port: containerPort(pod, container, p.tcpSocket.port, 'readinessProbe'), ...timing };
  throw new Error(`pod ${pod.name} container ${container.name}: readinessProbe has no grpc, httpGet or tcpSocket (exec probes are not supported by the launch)`);
}
