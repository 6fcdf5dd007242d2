// The Kafka client settings both the builders (job side) and the operators (worker side) read: one parser of
// bootstrap servers and one rule for the client id.
import { ValidationError } from '@weir/common/runtime';
import type { KafkaSecurity } from './kafka-security.ts';

/** The connection settings every Kafka source and sink config carries (JSON, in the job graph). */
export interface KafkaClientConfig {
  /** `host:port` of the brokers to bootstrap from, at least one. */
  bootstrapServers: string[];
  /** The Kafka client id; null or absent: `weir-<job id>-<operator uid>-<subtask>`. */
  clientId?: string | null;
  /** TLS and SASL (`setSecurity`); absent: PLAINTEXT. Secrets by reference only. */
  security?: KafkaSecurity;
}

const HOST_PORT = /^([^\s:[\]]+):(\d{1,5})$/;

/**
 * Parses bootstrap servers given as `'host:port,host:port'` or a list of
 * such strings: entries are trimmed and empty ones dropped; each must be a
 * host name or IPv4 address and a port in 1..65535. IPv6 literals
 * (`[::1]:9092`) are refused: kafkajs splits addresses at ':' and cannot
 * reach them. Throws a ValidationError naming `who` and the bad entry.
 */
export function parseBootstrapServers(servers: unknown, who: string): string[] {
  const entries = typeof servers === 'string' ? servers.split(',') : Array.isArray(servers) ? servers.flatMap((s) => (typeof s === 'string' ? s.split(',') : [s])) : undefined;
  if (entries === undefined) throw new ValidationError(`${who} needs bootstrap servers as 'host:port' or a list of them, got ${JSON.stringify(servers)}`);
  const list: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') throw new ValidationError(`${who}: bootstrap server ${JSON.stringify(entry)} is not a 'host:port' string`);
    const server = entry.trim();
    if (server === '') continue;
    if (server.startsWith('[')) throw new ValidationError(`${who}: bootstrap server '${server}' is an IPv6 address, which the Kafka client cannot reach: use a host name that resolves to it`);
    const match = HOST_PORT.exec(server);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      const hint = server.includes(':') ? '' : ' (it has no port)';
      throw new ValidationError(`${who}: bootstrap server '${server}' is not host:port${hint}; write e.g. 'localhost:9092'`);
    }
    list.push(server);
  }
  if (list.length === 0) throw new ValidationError(`${who} needs at least one bootstrap server: setBootstrapServers('host:port')`);
  return list;
}

/** The client id of one subtask's Kafka client: the configured one, else one naming the job, operator and subtask. */
export function kafkaClientId(config: Pick<KafkaClientConfig, 'clientId'>, runtime: { jobId: string; operatorId: string; subtaskIndex: number }): string {
  if (typeof config.clientId === 'string' && config.clientId.length > 0) return config.clientId;
  return `weir-${runtime.jobId}-${runtime.operatorId}-${runtime.subtaskIndex}`;
}
