// Checks of Kubernetes manifests that need no API server: kustomize builds,
// validation against the Kubernetes JSON schema with unknown fields rejected,
// and cross references (selectors, ports, referenced objects, weir commands).
// Tools come from scripts/k8s-tools.sh fetch.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, weir } from './weir-cli.ts';

const run = promisify(execFile);

const CACHE = process.env.WEIR_CACHE_DIR ?? join(homedir(), '.cache', 'weir');
/** The strict schema (additionalProperties: false everywhere) that scripts/k8s-tools.sh fetch unpacks. */
export const SCHEMA_FILE = join(CACHE, 'k8s-schema', 'v1.32.0-local-strict', '_definitions.json');
const SCHEMA_ID = 'https://kubernetes.io/api/_definitions.json';

/** A Kubernetes object as kustomize prints it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Installs what is missing of the tools (kustomize, the JSON schema) with scripts/k8s-tools.sh: quick when they are there. */
export async function fetchK8sTools(): Promise<void> {
  await run(join(REPO_ROOT, 'scripts', 'k8s-tools.sh'), ['fetch']);
}

/** `kustomize build DIR`: with kubectl where it is installed, else the kustomize binary of scripts/k8s-tools.sh. */
export async function kustomizeBuild(dir: string): Promise<K8sObject[]> {
  const path = join(REPO_ROOT, dir);
  const binary = join(CACHE, 'bin', 'kustomize');
  const [command, args] = existsSync(binary) ? [binary, ['build', path]] : ['kubectl', ['kustomize', path]];
  let stdout: string;
  try {
    ({ stdout } = await run(command, args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed (run scripts/k8s-tools.sh fetch if it is missing): ${(error as { stderr?: string }).stderr ?? (error as Error).message}`, { cause: error });
  }
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

const id = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

/** Validates objects against the strict Kubernetes schema of their group, version and kind. */
export class SchemaValidator {
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  private readonly byKind = new Map<string, string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  static async load(): Promise<SchemaValidator> {
    if (!existsSync(SCHEMA_FILE)) throw new Error(`no Kubernetes JSON schema at ${SCHEMA_FILE}: run scripts/k8s-tools.sh fetch`);
    const schema = JSON.parse(await readFile(SCHEMA_FILE, 'utf8')) as { $defs: Record<string, { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }> };
    return new SchemaValidator(schema);
  }

  private constructor(schema: { $defs: Record<string, { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }> }) {
    this.ajv.addSchema(schema);
    for (const [name, def] of Object.entries(schema.$defs)) {
      for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
        this.byKind.set(`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}:${gvk.kind}`, name);
      }
    }
  }

  /** What is wrong with `object`, one line per problem (empty: valid). */
  problems(object: K8sObject): string[] {
    const name = this.byKind.get(`${object.apiVersion}:${object.kind}`);
    if (!name) return [`${id(object)}: no schema for ${object.apiVersion} ${object.kind}`];
    let validate = this.compiled.get(name);
    if (!validate) {
      validate = this.ajv.getSchema(`${SCHEMA_ID}#/$defs/${name}`)!;
      this.compiled.set(name, validate);
    }
    if (validate(object)) return [];
    // oneOf branches (int-or-string) repeat their errors; say each place once, the unknown field by name.
    const lines = (validate.errors ?? []).map((e) => `${id(object)}: ${e.instancePath || '/'}: ${e.message}${e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : ''}`);
    return [...new Set(lines)];
  }
}

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; valueFrom?: { configMapKeyRef?: { name: string }; secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  volumeMounts?: { name: string }[];
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}
interface Probe {
  tcpSocket?: { port: string | number };
  httpGet?: { port: string | number };
  grpc?: { port: number };
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string; items?: { key: string }[] }; persistentVolumeClaim?: { claimName: string } }[];
}

/**
 * The Secrets a deployment creates before it applies an overlay (certificates
 * and tokens are never in the repository; docs/security.md), and their keys.
 */
export const EXTERNAL_SECRETS: Readonly<Record<string, readonly string[]>> = {
  'weir-tls': ['ca.crt', 'tls.crt', 'tls.key'],
  'weir-tokens': ['tokens', 'submitter'],
};

/** Problems of a reference to Secret `name` (and `keys` of it): in the build, or one of EXTERNAL_SECRETS with those keys. */
function secretProblems(where: string, name: string, secrets: Set<string>, keys: readonly string[]): string[] {
  if (secrets.has(name)) return [];
  const known = EXTERNAL_SECRETS[name];
  if (!known) return [`${where}: Secret ${name} is not in the build nor one of the documented Secrets (${Object.keys(EXTERNAL_SECRETS).join(', ')})`];
  return keys.filter((k) => !known.includes(k)).map((k) => `${where}: Secret ${name} has no key ${k} (documented keys: ${known.join(', ')})`);
}

/** A workload's pod template: its labels and spec, and the claim templates of a StatefulSet. */
export interface PodTemplate {
  owner: K8sObject;
  labels: Record<string, string>;
  spec: PodSpec;
  claimTemplates: string[];
}

export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const o of objects) {
    const spec = o.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec: PodSpec }; volumeClaimTemplates?: { metadata: { name: string } }[] } | undefined;
    const template = o.kind === 'CronJob' ? (o.spec as { jobTemplate: { spec: typeof spec } }).jobTemplate.spec?.template : spec?.template;
    if (template) templates.push({ owner: o, labels: template.metadata?.labels ?? {}, spec: template.spec, claimTemplates: (spec?.volumeClaimTemplates ?? []).map((c) => c.metadata.name) });
  }
  return templates;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
const declaresPort = (c: Container, port: string | number): boolean => (c.ports ?? []).some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));

/** The subcommands of `weir` and each one's long flags, read from `weir --help` and `weir <command> --help`. */
export async function weirCommandLine(): Promise<Map<string, Set<string>>> {
  const commands = new Map<string, Set<string>>();
  const top = await weir(['--help']);
  const section = top.stdout.split(/^Commands:$/m)[1] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  await Promise.all(
    names.map(async (name) => {
      const help = await weir([name, '--help']);
      const options = help.stdout.split(/^Options:$/m)[1] ?? '';
      commands.set(name, new Set([...options.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!)));
    }),
  );
  return commands;
}

function weirArgsProblems(where: string, c: Container, weirCommands: Map<string, Set<string>>): string[] {
  const command = c.command ?? [];
  if (command.at(-1) !== 'weir') return [`${where}: the weir image runs weir: command must end in weir (e.g. [/usr/bin/tini, --, weir]), got ${JSON.stringify(command)}`];
  const [subcommand, ...rest] = c.args ?? [];
  const flags = subcommand === undefined ? undefined : weirCommands.get(subcommand);
  if (!flags) return [`${where}: '${String(subcommand)}' is not a weir command (known: ${[...weirCommands.keys()].join(', ')})`];
  const problems: string[] = [];
  for (const arg of rest) {
    if (arg === '--') break;
    const flag = /^(--[a-z][a-z0-9-]*)/.exec(arg)?.[1];
    if (flag && !flags.has(flag)) problems.push(`${where}: weir ${subcommand} has no flag ${flag}`);
  }
  return problems;
}

/**
 * Cross references within one build, and the project's rules for every container. `operatorSecrets` names the
 * Secrets the operator creates beside the build (credentials the manifests document but do not ship).
 */
export function crossReferenceProblems(objects: K8sObject[], weirCommands: Map<string, Set<string>>, operatorSecrets: string[] = []): string[] {
  const problems: string[] = [];
  const names = (kind: string): Set<string> => new Set(objects.filter((o) => o.kind === kind).map((o) => o.metadata.name));
  const [configMaps, claims, accounts, services] = [names('ConfigMap'), names('PersistentVolumeClaim'), names('ServiceAccount'), names('Service')];
  const secrets = new Set([...names('Secret'), ...operatorSecrets]);
  const templates = podTemplates(objects);

  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const spec = service.spec as { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: string | number }[] };
    if (!spec.selector) continue;
    const selected = templates.filter((t) => matches(spec.selector!, t.labels));
    if (selected.length === 0) problems.push(`${id(service)}: selector ${JSON.stringify(spec.selector)} matches no pod template`);
    for (const port of spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const t of selected) {
        if (!t.spec.containers.some((c) => declaresPort(c, target))) problems.push(`${id(service)}: targetPort ${target} is not a container port of ${id(t.owner)}`);
      }
    }
  }
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    if (!templates.some((t) => matches(selector, t.labels))) problems.push(`${id(pdb)}: selector ${JSON.stringify(selector)} matches no pod template`);
  }
  for (const set of objects.filter((o) => o.kind === 'StatefulSet')) {
    const serviceName = (set.spec as { serviceName?: string }).serviceName;
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === serviceName);
    if (!service || (service.spec as { clusterIP?: string }).clusterIP !== 'None') problems.push(`${id(set)}: serviceName ${String(serviceName)} is not a headless Service of the build`);
  }
  for (const t of templates) {
    const owner = id(t.owner);
    const account = t.spec.serviceAccountName;
    if (account && !accounts.has(account)) problems.push(`${owner}: ServiceAccount ${account} is not in the build`);
    if (t.spec.securityContext?.runAsNonRoot !== true) problems.push(`${owner}: pod securityContext.runAsNonRoot must be true`);
    const volumes = new Set([...(t.spec.volumes ?? []).map((v) => v.name), ...t.claimTemplates]);
    for (const v of t.spec.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name)) problems.push(`${owner}: volume ${v.name}: ConfigMap ${v.configMap.name} is not in the build`);
      if (v.secret) problems.push(...secretProblems(`${owner}: volume ${v.name}`, v.secret.secretName, secrets, (v.secret.items ?? []).map((i) => i.key)));
      if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName)) problems.push(`${owner}: volume ${v.name}: PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} is not in the build`);
    }
    for (const c of [...t.spec.containers, ...(t.spec.initContainers ?? [])]) {
      const where = `${owner} container ${c.name}`;
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${where}: volumeMount ${m.name} names no volume`);
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef?.name;
        const secret = e.valueFrom?.secretKeyRef;
        if (cm && !configMaps.has(cm)) problems.push(`${where}: env ${e.name}: ConfigMap ${cm} is not in the build`);
        if (secret) problems.push(...secretProblems(`${where}: env ${e.name}`, secret.name, secrets, [secret.key]));
      }
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name)) problems.push(`${where}: envFrom: ConfigMap ${from.configMapRef.name} is not in the build`);
        if (from.secretRef && !secrets.has(from.secretRef.name)) problems.push(`${where}: envFrom: Secret ${from.secretRef.name} is not in the build`);
      }
      for (const [kind, probe] of [['readinessProbe', c.readinessProbe], ['livenessProbe', c.livenessProbe], ['startupProbe', c.startupProbe]] as const) {
        const port = probe?.tcpSocket?.port ?? probe?.httpGet?.port ?? probe?.grpc?.port;
        if (port !== undefined && !declaresPort(c, port)) problems.push(`${where}: ${kind} port ${port} is not a container port`);
      }
      if (!c.command?.length || !c.args?.length) problems.push(`${where}: must state command and args`);
      const tag = /:([^/:@]+)$/.exec(c.image ?? '')?.[1];
      if (!tag || tag === 'latest') problems.push(`${where}: image ${String(c.image)} must be pinned by a tag other than latest`);
      const sc = c.securityContext;
      if (sc?.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false || !sc.capabilities?.drop?.includes('ALL')) {
        problems.push(`${where}: securityContext must set readOnlyRootFilesystem: true, allowPrivilegeEscalation: false and drop ALL capabilities`);
      }
      if (/(^|\/)weir:/.test(c.image ?? '')) {
        problems.push(...weirArgsProblems(where, c, weirCommands));
        const at = c.args?.indexOf('--coordinator') ?? -1;
        const address = at >= 0 ? (c.args![at + 1] ?? '') : undefined;
        const host = address?.split(':')[0];
        if (address !== undefined && !services.has(host!)) problems.push(`${where}: --coordinator ${address}: no Service ${host} in the build`);
      }
    }
  }
  return problems;
}
