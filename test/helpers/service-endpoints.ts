// What the endpoints controller and cluster DNS make of the pods of a
// launch: each Service's endpoints (the selected pods that are ready, or all
// running ones with publishNotReadyAddresses, at the target port resolved by
// name on each pod), and the names a pod resolves, as hosts-file entries:
// a ClusterIP Service's name to its Service IP, a headless Service's name to
// its endpoints, and a StatefulSet pod's `pod.service` name in all the short
// forms (`pod.service`, `.namespace`, `.svc`, `.svc.cluster.local`).
import { selects, type PlannedPod, type ServicePlan } from './manifest-pods.ts';

/** What the launch knows of a pod at one moment. */
export interface PodState {
  plan: PlannedPod;
  ip: string;
  running: boolean;
  ready: boolean;
}

/** One port of a Service and where its connections go. */
export interface ServicePortEndpoints {
  service: ServicePlan;
  port: number;
  targets: string[];
  /** Selected pods whose containers have no port by the target port's name, with the ports they have. */
  unresolved: { pod: string; ports: (string | number)[] }[];
}

/** The DNS names of `name` in namespace `ns`, shortest first. */
export const dnsNames = (name: string, ns: string): string[] => [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.cluster.local`];

function targetPort(pod: PlannedPod, target: string | number): number | undefined {
  if (typeof target === 'number') return target;
  for (const c of pod.spec.containers) {
    const port = (c.ports ?? []).find((p) => p.name === target);
    if (port) return port.containerPort;
  }
  return undefined;
}

const isEndpoint = (service: ServicePlan, pod: PodState): boolean => pod.running && (pod.ready || service.publishNotReadyAddresses) && selects(service.selector, pod.plan.labels);

/** Every port of every Service, with its endpoints now. */
export function serviceEndpoints(services: ServicePlan[], pods: PodState[]): ServicePortEndpoints[] {
  return services.flatMap((service) =>
    service.ports.map((p) => {
      const targets: string[] = [];
      const unresolved: ServicePortEndpoints['unresolved'] = [];
      for (const pod of pods.filter((x) => selects(service.selector, x.plan.labels))) {
        const port = targetPort(pod.plan, p.targetPort);
        if (port === undefined) unresolved.push({ pod: pod.plan.name, ports: pod.plan.spec.containers.flatMap((c) => (c.ports ?? []).map((x) => x.name ?? x.containerPort)) });
        else if (isEndpoint(service, pod)) targets.push(`${pod.ip}:${port}`);
      }
      return { service, port: p.port, targets, unresolved };
    }),
  );
}

/** The hosts-file entries every pod gets. */
export function hostsEntries(namespace: string, services: ServicePlan[], clusterIps: Map<string, string>, pods: PodState[], external: [string, string[]][]): [string, string[]][] {
  const entries: [string, string[]][] = [...external];
  for (const service of services) {
    const ip = clusterIps.get(service.name);
    if (!service.headless) {
      if (ip) entries.push([ip, dnsNames(service.name, namespace)]);
      continue;
    }
    for (const pod of pods.filter((p) => isEndpoint(service, p))) {
      entries.push([pod.ip, dnsNames(service.name, namespace)]);
      if (pod.plan.subdomain === service.name) entries.push([pod.ip, dnsNames(`${pod.plan.name}.${service.name}`, namespace)]);
    }
  }
  return entries;
}
