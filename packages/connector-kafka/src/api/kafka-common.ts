import { ValidationError } from '@weir/common';

/**
 * Parses bootstrap servers given as `'host:port,host:port'` or a list;
 * throws a ValidationError naming the bad entry.
 */
export function parseBootstrapServers(servers: string | readonly string[], connector: string): string[] {
  const list = (typeof servers === 'string' ? servers.split(',') : [...servers]).map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ValidationError(`${connector} needs at least one bootstrap server: setBootstrapServers('host:port')`);
  for (const server of list) {
    const port = /^(?:\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(server)?.[1];
    if (!port || Number(port) < 1 || Number(port) > 65535) {
      throw new ValidationError(`${connector}: bootstrap server '${server}' is not host:port (e.g. 'localhost:9092')`);
    }
  }
  return list;
}
