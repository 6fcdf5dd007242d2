// How a client command connects: TLS, token and etcd settings from flags, the
// environment and the configuration file, and a client that follows the leader.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { WeirError } from '@weir/common';
import { WeirClient } from '@weir/client';
import { WEIR_ENV, type ClientTransport } from '@weir/protocol';
import type { EtcdTlsFiles } from '@weir/protocol/etcd';
import type { ClientFlags } from './cli-support.ts';
import { loadConfigFile } from './config/load-config.ts';
import { etcdTlsOf, layerConfig } from './config/resolve-config.ts';
import { etcdEndpoints } from './etcd-endpoints.ts';

/**
 * Where `weir local` with its default data directory keeps its throwaway CA,
 * relative to the working directory: a client command given no CA trusts it,
 * so `weir local` in one terminal and `weir run` in another need no flags.
 */
export const LOCAL_CA_FILE = '.weir/local/tls/ca.crt';

/** How a client command reaches the coordinator and etcd: flags, then the environment, then the configuration file. */
export async function clientSecurityOf(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env): Promise<{ transport: ClientTransport; token?: string; etcdTls?: EtcdTlsFiles }> {
  const path = (flags.config ?? env[WEIR_ENV.config]) || undefined;
  const values = layerConfig({ file: path === undefined ? {} : await loadConfigFile(path), env, flags: {} });
  const caFile = flags.caFile ?? (values.get('client.caFile') as string | undefined) ?? (existsSync(LOCAL_CA_FILE) ? LOCAL_CA_FILE : undefined);
  const serverName = flags.serverName ?? (values.get('client.serverName') as string | undefined);
  const token = flags.token ?? (values.get('client.token') as string | undefined);
  const etcdTls = etcdTlsOf(values);
  const transport: ClientTransport = flags.insecurePlaintext ? { plaintext: true } : { ...(caFile ? { caFile: resolve(caFile) } : {}), ...(serverName ? { serverName } : {}) };
  return { transport, ...(token ? { token } : {}), ...(etcdTls ? { etcdTls } : {}) };
}

/** Runs `fn` with a client (following the leader found in etcd with --etcd) and always closes it. */
export async function withClient<T>(flags: ClientFlags, fn: (client: WeirClient) => Promise<T>): Promise<T> {
  const endpoints = etcdEndpoints(flags.etcd);
  let closeEtcd = (): void => undefined;
  let client: WeirClient;
  const { etcdTls, ...security } = await clientSecurityOf(flags);
  if (endpoints.length > 0) {
    // Loaded only with --etcd: etcd3 takes a while to load.
    const { createEtcdClient, EtcdKeys, readLeaderAddress } = await import('@weir/protocol/etcd');
    const etcd = createEtcdClient({ endpoints, tls: etcdTls });
    closeEtcd = () => etcd.close();
    const keys = new EtcdKeys(flags.clusterId ?? 'default');
    client = new WeirClient(flags.coordinator, { ...security, resolveLeader: () => readLeaderAddress(etcd, keys) });
    try {
      if (!(await client.findLeader())) process.stderr.write(`weir: no coordinator of cluster '${keys.clusterId}' leads right now; waiting for one\n`);
    } catch (error) {
      client.close();
      closeEtcd();
      if (error instanceof WeirError) throw error;
      throw new WeirError(`cannot read the leader from etcd at ${endpoints.join(',')}: ${(error as Error).message}; check that etcd is running and reachable`, { cause: error });
    }
  } else {
    client = new WeirClient(flags.coordinator, security);
  }
  try {
    return await fn(client);
  } finally {
    client.close();
    closeEtcd();
  }
}

