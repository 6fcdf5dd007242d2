// Resolves a component's options once, from four layers in this order of
// precedence: a flag given on the command line, the environment (WEIR_*), the
// configuration file, then the component's defaults.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { WEIR_ENV, type InternalTransport } from '@weir/protocol';
import type { EtcdTlsFiles } from '@weir/protocol/etcd';
import { resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from '@weir/coordinator';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from '@weir/worker';
import { etcdEndpoints } from '../etcd-endpoints.ts';
import { configKeys, type ConfigKey, type ConfigKeyPath, type WeirConfig } from './config-schema.ts';
import { CONFIG_ENV, ConfigError, describeValue, loadConfigFile } from './load-config.ts';

/** Which config key each flag of a command sets (by commander's attribute name). */
export const COMMAND_FLAG_KEYS = {
  coordinator: {
    host: 'coordinator.host',
    port: 'coordinator.port',
    metricsPort: 'coordinator.metricsPort',
    restPort: 'coordinator.restPort',
    advertisedHost: 'coordinator.advertisedHost',
    dataDir: 'coordinator.dataDir',
    checkpointDir: 'coordinator.checkpointDir',
    s3Endpoint: 'coordinator.s3Endpoint',
    s3Region: 'coordinator.s3Region',
    s3AddressingStyle: 'coordinator.s3AddressingStyle',
    etcd: 'etcd.endpoints',
    clusterId: 'etcd.clusterId',
    leaseTtl: 'coordinator.leaseTtlSeconds',
    insecurePlaintext: 'security.transport',
    tokensFile: 'security.tokensFile',
  },
  worker: {
    coordinator: 'worker.coordinator',
    host: 'worker.host',
    port: 'worker.port',
    metricsPort: 'worker.metricsPort',
    advertisedHost: 'worker.advertisedHost',
    slots: 'worker.slots',
    dataDir: 'worker.dataDir',
    workerId: 'worker.workerId',
    etcd: 'etcd.endpoints',
    clusterId: 'etcd.clusterId',
    spareThreads: 'worker.spareThreads',
    connector: 'worker.connectorModules',
    insecurePlaintext: 'security.transport',
  },
  local: {
    workers: 'local.workers',
    slots: 'worker.slots',
    port: 'coordinator.port',
    restPort: 'coordinator.restPort',
    dataDir: 'local.dataDir',
    spareThreads: 'worker.spareThreads',
    connector: 'worker.connectorModules',
  },
} as const satisfies Record<string, Record<string, ConfigKeyPath>>;

/** The three sources of values above the defaults. */
export interface ConfigSources {
  file: WeirConfig;
  env: NodeJS.ProcessEnv;
  /** Only the flags given on the command line, by key. */
  flags: Partial<Record<ConfigKeyPath, unknown>>;
}

/** The values that are set, by key, the highest layer winning. */
export type ConfigValues = Map<ConfigKeyPath, unknown>;

function fromFile(file: WeirConfig, path: ConfigKeyPath): unknown {
  const [section, name] = path.split('.') as [keyof WeirConfig, string];
  return (file[section] as Record<string, unknown> | undefined)?.[name];
}

function checked(key: ConfigKey, value: unknown, source: string, raw: unknown): unknown {
  const result = key.schema.safeParse(value);
  if (!result.success) throw new ConfigError(`${source} (${key.path}): ${result.error.issues[0]!.message}, got ${describeValue(raw)}`);
  return result.data;
}

function fromEnv(key: ConfigKey, env: NodeJS.ProcessEnv): unknown {
  const raw = key.env === undefined ? undefined : env[key.env];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = key.kind === 'number' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : key.kind === 'list' ? etcdEndpoints(raw) : raw;
  return checked(key, value, key.env!, raw);
}

/** Layers the sources: flag > environment > file; keys none of them sets are absent (the defaults apply). */
export function layerConfig(sources: ConfigSources): ConfigValues {
  const values: ConfigValues = new Map();
  for (const key of configKeys()) {
    const flag = sources.flags[key.path];
    const value = flag !== undefined ? flag : (fromEnv(key, sources.env) ?? fromFile(sources.file, key.path));
    if (value !== undefined) values.set(key.path, value);
  }
  return values;
}

/** The flags of `command` given on the command line (not defaults, not commander's env), as config keys. */
export function commandLineFlags(command: Command, flagKeys: Readonly<Record<string, ConfigKeyPath>>): Partial<Record<ConfigKeyPath, unknown>> {
  const keys = new Map(configKeys().map((k) => [k.path, k]));
  const flags: Partial<Record<ConfigKeyPath, unknown>> = {};
  const given = command.opts<Record<string, unknown>>();
  for (const [attribute, path] of Object.entries(flagKeys)) {
    if (command.getOptionValueSource(attribute) !== 'cli') continue;
    const key = keys.get(path)!;
    const raw = given[attribute];
    // The one boolean flag, --insecure-plaintext, sets its key to `plaintext`.
    const value = raw === true ? 'plaintext' : key.kind === 'list' && typeof raw === 'string' ? etcdEndpoints(raw) : raw;
    const option = command.options.find((o) => o.attributeName() === attribute);
    flags[path] = checked(key, value, option?.long ?? attribute, raw);
  }
  return flags;
}

/** Reads `--config` (or $WEIR_CONFIG) if given, else an empty configuration. */
export async function configFileOf(command: Command, env: NodeJS.ProcessEnv): Promise<WeirConfig> {
  const path = (command.opts<{ config?: string }>().config ?? env[CONFIG_ENV]) || undefined;
  return path === undefined ? {} : loadConfigFile(path);
}

function section<T>(values: ConfigValues, prefix: string): Partial<T> {
  const options: Record<string, unknown> = {};
  for (const [path, value] of values) if (path.startsWith(`${prefix}.`)) options[path.slice(prefix.length + 1)] = value;
  return options as Partial<T>;
}

function etcdOf(values: ConfigValues): { etcd?: string[]; clusterId?: string; etcdTls?: EtcdTlsFiles } {
  const etcd = values.get('etcd.endpoints') as string[] | undefined;
  const clusterId = values.get('etcd.clusterId') as string | undefined;
  const etcdTls = etcdTlsOf(values);
  return { ...(etcd ? { etcd } : {}), ...(clusterId ? { clusterId } : {}), ...(etcdTls ? { etcdTls } : {}) };
}

/** The etcd client's TLS files, if `etcd.caFile` is set. */
export function etcdTlsOf(values: ConfigValues): EtcdTlsFiles | undefined {
  const caFile = values.get('etcd.caFile') as string | undefined;
  if (!caFile) {
    if (values.has('etcd.certFile')) throw new ConfigError('etcd.certFile is set but etcd.caFile is not: set etcd.caFile (WEIR_ETCD_CA_FILE) to the CA of etcd\'s certificate');
    return undefined;
  }
  return { caFile: resolve(caFile), certFile: pathOf(values, 'etcd.certFile'), keyFile: pathOf(values, 'etcd.keyFile') };
}

function pathOf(values: ConfigValues, path: ConfigKeyPath): string | undefined {
  const value = values.get(path) as string | undefined;
  return value === undefined ? undefined : resolve(value);
}

/**
 * How a coordinator or worker connects (`security.*`): mutual TLS with the
 * cluster CA unless `security.transport` is plaintext; without the three
 * files that is a configuration error naming them.
 */
export function transportOf(values: ConfigValues, role: 'coordinator' | 'worker'): InternalTransport {
  if (values.get('security.transport') === 'plaintext') return { kind: 'plaintext' };
  const missing = (['security.internalCa', 'security.internalCert', 'security.internalKey'] as const).filter((k) => !values.has(k));
  if (missing.length > 0) {
    throw new ConfigError(
      `weir ${role} uses TLS by default and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: give the cluster CA and this process's certificate and key (${WEIR_ENV.internalCa}, ${WEIR_ENV.internalCert}, ${WEIR_ENV.internalKey}, or the security section of --config; see docs/security.md), or pass --insecure-plaintext for a test setup`,
    );
  }
  const restCert = pathOf(values, 'security.restCert');
  const restKey = pathOf(values, 'security.restKey');
  if ((restCert === undefined) !== (restKey === undefined)) throw new ConfigError('security.restCert and security.restKey go together: set both, or neither (the internal certificate is used)');
  const reload = values.get('security.certReloadIntervalMs') as number | undefined;
  return {
    kind: 'mtls',
    files: { caFile: pathOf(values, 'security.internalCa')!, certFile: pathOf(values, 'security.internalCert')!, keyFile: pathOf(values, 'security.internalKey')! },
    ...(restCert && restKey ? { serverFiles: { certFile: restCert, keyFile: restKey } } : {}),
    ...(reload !== undefined ? { reloadIntervalMs: reload } : {}),
  };
}

/** The coordinator's options from layered values; the coordinator's own defaults fill the rest. */
export function coordinatorOptionsOf(values: ConfigValues, withSecurity = true): ResolvedCoordinatorOptions {
  const security: Partial<CoordinatorOptions> = {};
  if (withSecurity) {
    security.transport = transportOf(values, 'coordinator');
    const restTransport = values.get('security.restTransport') as 'tls' | 'plaintext' | undefined;
    security.restTls = (restTransport ?? (security.transport.kind === 'mtls' ? 'tls' : 'plaintext')) === 'tls';
    if (security.restTls && security.transport.kind === 'plaintext') throw new ConfigError('security.restTransport is tls but security.transport is plaintext: HTTPS needs the certificate files of the security section');
    security.tokensFile = pathOf(values, 'security.tokensFile');
  }
  // The environment was read above, key by key: the defaults alone fill what is left.
  return resolveCoordinatorOptions({ ...section<CoordinatorOptions>(values, 'coordinator'), ...etcdOf(values), ...security }, {});
}

/** The worker's options from layered values; the worker's own defaults fill the rest. */
export function workerOptionsOf(values: ConfigValues, withSecurity = true): ResolvedWorkerOptions {
  return resolveWorkerOptions({ ...section<WorkerOptions>(values, 'worker'), ...etcdOf(values), ...(withSecurity ? { transport: transportOf(values, 'worker') } : {}) }, {});
}

/** Layers `command`'s flags, the environment and its configuration file. */
export async function layerCommand(command: Command, flagKeys: Readonly<Record<string, ConfigKeyPath>>, env: NodeJS.ProcessEnv = process.env): Promise<ConfigValues> {
  return layerConfig({ file: await configFileOf(command, env), env, flags: commandLineFlags(command, flagKeys) });
}

/** What `weir local` starts, from layered values. */
export interface LocalOptions {
  workers: number;
  slots: number;
  port: number;
  /** The coordinator's REST API and dashboard port. */
  restPort: number;
  dataDir: string;
  spareThreads: number;
  /** Connector modules the workers are told to load; absent: each worker's default. */
  connectors?: readonly string[];
}

/** `weir local`'s options: its own keys, the coordinator's port and the workers' slots and spare threads. */
export function localOptionsOf(values: ConfigValues): LocalOptions {
  // weir local makes its own certificates: the security section does not apply to it.
  const coordinator = coordinatorOptionsOf(values, false);
  const worker = workerOptionsOf(values, false);
  return {
    workers: (values.get('local.workers') as number | undefined) ?? 2,
    slots: worker.slots,
    port: coordinator.port,
    restPort: coordinator.restPort,
    dataDir: (values.get('local.dataDir') as string | undefined) ?? '.weir/local',
    spareThreads: worker.spareThreads,
    ...(values.has('worker.connectorModules') ? { connectors: values.get('worker.connectorModules') as string[] } : {}),
  };
}
