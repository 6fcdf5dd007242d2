// The configuration file of `weir coordinator`, `weir worker` and `weir local`
// (`--config FILE`, YAML): its zod schema, strict about unknown keys and types.
// Each key carries its documentation (description, environment variable,
// default) as zod metadata, from which docs/configuration.md is generated.
import { z } from 'zod';
import { parseRestartStrategy } from '@weir/common';
import type { CoordinatorOptions } from '@weir/coordinator';
import { WEIR_ENV } from '@weir/protocol';
import type { WorkerOptions } from '@weir/worker';

/** What each key of the file documents about itself. */
export interface ConfigKeyMeta {
  /** One line for the table in docs/configuration.md. */
  description: string;
  /** The environment variable that sets it (it wins over the file, a flag wins over it). */
  env?: string;
  /** The default as the table shows it. */
  default: string;
}

function key<T extends z.ZodType>(type: T, meta: ConfigKeyMeta) {
  return type.optional().meta({ ...meta });
}

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const message = max === Number.MAX_SAFE_INTEGER ? `expected a whole number >= ${min}` : `expected a whole number from ${min} to ${max}`;
  return z.int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

const text = () => z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' });
const port = () => wholeNumber(0, 65535);

/** A restart strategy in the compact form of `weir run --restart-strategy`, read into its fields. */
const restartStrategy = () =>
  text().transform((value, ctx) => {
    try {
      return parseRestartStrategy(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** A section that is not a mapping of keys. */
const MAPPING = { error: 'expected a mapping of keys' };

const coordinatorSection = z.strictObject({
  host: key(text(), { description: 'interface the coordinator listens on', default: '127.0.0.1' }),
  port: key(port(), { description: 'port of the coordinator (clients and workers); 0 picks a free one', env: WEIR_ENV.coordinatorPort, default: '6123' }),
  metricsPort: key(port(), { description: 'port of the Prometheus endpoint (GET /metrics, see docs/metrics.md); 0 picks a free one', default: '0' }),
  restPort: key(port(), { description: 'port of the REST API and web dashboard (HTTP, see docs/rest-api.md); 0 picks a free one', default: '8081' }),
  advertisedHost: key(text(), { description: 'host name workers and clients use to reach this coordinator (with etcd: written there for the leader)', default: 'the host' }),
  dataDir: key(text(), { description: 'where job artifacts are kept (relative paths: to the working directory)', env: WEIR_ENV.dataDir, default: '.weir/coordinator' }),
  checkpointDir: key(text(), { description: 'where checkpoints go: a directory every worker can write, or s3://bucket/prefix; with etcd every coordinator shares it and job code goes there too', env: WEIR_ENV.checkpointDir, default: '.weir/checkpoints' }),
  s3Endpoint: key(text(), { description: 'endpoint URL of the S3-compatible server when checkpointDir or a savepoint target is s3://bucket/prefix (credentials: the AWS environment variables or credentials file)', env: WEIR_ENV.s3Endpoint, default: 'AWS S3' }),
  s3Region: key(text(), { description: 'region S3 requests are signed for', env: WEIR_ENV.s3Region, default: 'AWS_REGION, else us-east-1' }),
  s3AddressingStyle: key(z.enum(['path', 'virtual'], { error: 'expected path or virtual' }), { description: 'path: the bucket in the URL path (most S3-compatible servers); virtual: in the host name (AWS)', env: WEIR_ENV.s3AddressingStyle, default: 'path with an endpoint, else virtual' }),
  coordinatorId: key(text(), { description: 'a stable id of this coordinator', default: 'random' }),
  heartbeatTimeoutMs: key(wholeNumber(1), { description: 'a worker silent for this long is considered lost', default: '10000' }),
  slotRequestTimeoutMs: key(wholeNumber(1), { description: "how long a job may wait while the cluster has fewer slots than it needs before it fails (Flink's slot.request.timeout; `weir run --slot-request-timeout` sets it per job)", default: '300000' }),
  cancelTimeoutMs: key(wholeNumber(1), { description: 'how long cancelled subtasks get to confirm before a job counts as cancelled', default: '10000' }),
  restartStrategy: key(restartStrategy(), {
    description: 'restart strategy of jobs that set none in their code or at `weir run`: none, fixed-delay:attempts=N,delay=D, exponential-delay:..., failure-rate:max-failures=N,interval=D,delay=D (see the README)',
    env: WEIR_ENV.restartStrategy,
    default: 'exponential-delay:initial-backoff=500ms,max-backoff=5s,multiplier=2,reset-threshold=1h,jitter=0.1,attempts=5',
  }),
  leaseTtlSeconds: key(wholeNumber(2), { description: 'lease TTL of the leader key in etcd: a dead leader is replaced after about this long', env: WEIR_ENV.leaseTtl, default: '5' }),
  savepointRoots: key(z.array(text(), { error: 'expected a list of directories or s3://bucket/prefix locations' }), {
    description: 'where else savepoints may be written and jobs restored from, besides checkpointDir (for s3://, its bucket) and the working directory; requests naming other places are refused',
    env: WEIR_ENV.savepointRoots,
    default: 'none',
  }),
}, MAPPING) satisfies z.ZodType<Omit<CoordinatorOptions, 'etcd' | 'clusterId'>>;

const workerSection = z.strictObject({
  coordinator: key(text(), { description: 'host:port of the coordinator (without etcd)', env: WEIR_ENV.coordinator, default: '127.0.0.1:6123' }),
  host: key(text(), { description: 'interface the worker\'s data and control service listens on', default: '127.0.0.1' }),
  port: key(port(), { description: 'port of the data and control service; 0 picks a free one', default: '0' }),
  metricsPort: key(port(), { description: 'port of the Prometheus endpoint (GET /metrics, see docs/metrics.md); 0 picks a free one', default: '0' }),
  advertisedHost: key(text(), { description: 'host name other workers and the coordinator use to reach this one', env: WEIR_ENV.advertisedHost, default: 'the host (its host name for 0.0.0.0)' }),
  slots: key(wholeNumber(1), { description: 'how many slots it offers: a slot runs one subtask of each operator of a slot sharing group, each in a thread of its own', env: WEIR_ENV.slots, default: '4' }),
  dataDir: key(text(), { description: 'where artifacts, dead letters and local state go', env: WEIR_ENV.dataDir, default: '.weir/worker' }),
  workerId: key(text(), { description: 'a stable id of this worker', default: 'random' }),
  heartbeatIntervalMs: key(wholeNumber(1), { description: 'how often it reports to the coordinator', default: '1000' }),
  initialCredits: key(wholeNumber(1), { description: 'frames a receiver lets each channel have in flight', default: '8' }),
  cancelTimeoutMs: key(wholeNumber(1), { description: 'grace period of a cancelled subtask before its thread is terminated', default: '5000' }),
  slotHeapMb: key(wholeNumber(16), { description: 'heap limit of each slot thread in MB', default: '256' }),
  slotYoungGenerationMb: key(wholeNumber(1), { description: 'young-generation size of each slot thread in MB', default: '8' }),
  spareThreads: key(wholeNumber(0), { description: 'slot threads kept ready per running job in free slots, so a failover deploys into them (20-40 MB each)', env: WEIR_ENV.spareThreads, default: '0' }),
  connectorModules: key(z.array(text(), { error: 'expected a list of connector runtime modules' }), {
    description: 'connector runtime modules loaded into every slot thread (package names, paths or file URLs)',
    env: WEIR_ENV.connectors,
    default: '@weir/connector-kafka/runtime',
  }),
}, MAPPING) satisfies z.ZodType<Omit<WorkerOptions, 'etcd' | 'clusterId'>>;

// Every key of the coordinator and worker sections is an option of the component, of the same type.
type ExtraKeys<Section extends z.ZodType, Options> = Exclude<keyof z.infer<Section>, keyof Options>;
export const sectionsMatchOptions: [ExtraKeys<typeof coordinatorSection, CoordinatorOptions> | ExtraKeys<typeof workerSection, WorkerOptions>] extends [never] ? true : never = true;

const etcdSection = z.strictObject({
  endpoints: key(z.array(text(), { error: 'expected a list of etcd client URLs' }).min(1, { error: 'expected at least one etcd client URL' }), {
    description: 'etcd client URLs: coordinators elect a leader and keep job metadata there, workers find the leader there',
    env: WEIR_ENV.etcd,
    default: 'none (one coordinator, embedded file store)',
  }),
  clusterId: key(text(), { description: 'the cluster in etcd (keys under /weir/<clusterId>/); coordinators and workers of one cluster use the same', env: WEIR_ENV.clusterId, default: 'default' }),
  caFile: key(text(), { description: 'PEM file of the CA that issued etcd\'s server certificate (https:// endpoints)', env: WEIR_ENV.etcdCa, default: 'none' }),
  certFile: key(text(), { description: 'client certificate towards etcd (etcd --client-cert-auth)', env: WEIR_ENV.etcdCert, default: 'none' }),
  keyFile: key(text(), { description: 'key of that client certificate', env: WEIR_ENV.etcdKey, default: 'none' }),
}, MAPPING);

const transportMode = () => z.enum(['tls', 'plaintext'], { error: 'expected tls or plaintext' });

const securitySection = z.strictObject({
  transport: key(transportMode(), { description: 'tls: coordinator and workers connect with mutual TLS (certificates of the cluster CA); plaintext: without TLS, only for tests (logged as a warning); `--insecure-plaintext` sets it', env: WEIR_ENV.transport, default: 'tls' }),
  internalCa: key(text(), { description: 'PEM file of the cluster CA: only holders of a certificate it issued may register as workers or reach a worker', env: WEIR_ENV.internalCa, default: 'none (required with tls)' }),
  internalCert: key(text(), { description: "PEM certificate of this process, issued by the cluster CA (a Kubernetes Secret's tls.crt); read again when it changes", env: WEIR_ENV.internalCert, default: 'none (required with tls)' }),
  internalKey: key(text(), { description: 'PEM private key of internalCert', env: WEIR_ENV.internalKey, default: 'none (required with tls)' }),
  restCert: key(text(), { description: "coordinator: PEM certificate presented to clients on the gRPC and REST ports (workers must trust its CA too: put it in internalCa's file)", env: WEIR_ENV.restCert, default: 'internalCert' }),
  restKey: key(text(), { description: 'coordinator: PEM private key of restCert', env: WEIR_ENV.restKey, default: 'internalKey' }),
  restTransport: key(transportMode(), { description: 'coordinator: tls serves the REST API and dashboard over HTTPS with restCert; plaintext over HTTP (logged as a warning)', env: WEIR_ENV.restTransport, default: 'transport' }),
  tokensFile: key(text(), { description: "coordinator: bearer tokens of the client API, one '<role> <name> <token>' per line (roles viewer, operator, submitter; see docs/security.md)", env: WEIR_ENV.tokensFile, default: 'none (no token asked for, logged as a warning)' }),
  certReloadIntervalMs: key(wholeNumber(100), { description: 'how often certificate files are checked for a change (a rotated Secret)', default: '60000' }),
}, MAPPING);

const clientSection = z.strictObject({
  caFile: key(text(), { description: 'client commands: PEM file of the CA that issued the coordinator\'s certificate (`--ca-file`)', env: WEIR_ENV.caFile, default: 'none (required unless --insecure-plaintext)' }),
  serverName: key(text(), { description: 'client commands: the name the coordinator\'s certificate carries, when it is not the host dialled (`--server-name`)', env: WEIR_ENV.serverName, default: 'the host dialled' }),
  token: key(text(), { description: 'client commands: bearer token of the client API (`--token`)', env: WEIR_ENV.token, default: 'none' }),
}, MAPPING);

const localSection = z.strictObject({
  workers: key(wholeNumber(1), { description: 'how many worker processes `weir local` starts', default: '2' }),
  dataDir: key(text(), { description: 'where `weir local` keeps artifacts, dead letters and checkpoints', default: '.weir/local' }),
}, MAPPING);

/** The whole file: sections for each role, so one file can serve a coordinator and its workers. */
export const configSchema = z.strictObject({
  coordinator: coordinatorSection.optional(),
  worker: workerSection.optional(),
  etcd: etcdSection.optional(),
  security: securitySection.optional(),
  client: clientSection.optional(),
  local: localSection.optional(),
}, { error: 'expected a mapping of sections (coordinator, worker, etcd, security, client, local)' });

/** A validated configuration file. */
export type WeirConfig = z.infer<typeof configSchema>;

/** A key's dotted path in the file, e.g. `coordinator.port`. */
export type ConfigKeyPath = {
  [S in keyof WeirConfig]-?: `${S & string}.${keyof NonNullable<WeirConfig[S]> & string}`;
}[keyof WeirConfig];

/** One key of the file: its path, its value schema and its documentation. */
export interface ConfigKey extends ConfigKeyMeta {
  path: ConfigKeyPath;
  schema: z.ZodType;
  /** What the value is: decides how an environment variable's text is read. */
  kind: 'number' | 'string' | 'list';
}

function sectionShape(section: string): Record<string, z.ZodType> | undefined {
  const field = (configSchema.shape as Record<string, z.ZodType>)[section];
  const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** Every key of the file, section by section, in the order of the schema. */
export function configKeys(): ConfigKey[] {
  const keys: ConfigKey[] = [];
  for (const section of Object.keys(configSchema.shape)) {
    for (const [name, schema] of Object.entries(sectionShape(section) ?? {})) {
      const meta = schema.meta() as unknown as ConfigKeyMeta;
      const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
      const kind = inner instanceof z.ZodArray ? 'list' : inner instanceof z.ZodNumber ? 'number' : 'string';
      keys.push({ ...meta, path: `${section}.${name}` as ConfigKeyPath, schema, kind });
    }
  }
  return keys;
}

/** The keys a section of the file knows (for "unknown key" errors). */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(configSchema.shape);
  return Object.keys(sectionShape(String(path[0])) ?? {});
}
