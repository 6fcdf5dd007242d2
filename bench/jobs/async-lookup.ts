// Benchmark job: generator -> AsyncDataStream.unorderedWait(HTTP GET through a keep-alive node:http Agent) -> discard.
//   args: URL CAPACITY [SOCKETS]
import { Agent, get } from 'node:http';
import { AsyncDataStream, defineJob } from '@weir/sdk';

interface Lookup {
  id: number;
  v: number;
}

export default defineJob((env, args) => {
  const [url, capacity, sockets] = args.map(String) as [string, string, string | undefined];
  const agent = new Agent({ keepAlive: true, maxSockets: Number(sockets ?? 1000) });
  const lookup = (id: number): Promise<Lookup> =>
    new Promise((resolve, reject) => {
      get(`${url}/lookup?id=${id}`, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as Lookup) : reject(new Error(`lookup of ${id}: HTTP ${res.statusCode}`))));
      }).on('error', reject);
    });
  env.setJobName('bench-async-lookup');
  const ids = env.fromGenerator((i) => i).uid('ids');
  AsyncDataStream.unorderedWait(ids, lookup, 10_000, Number(capacity)).uid('lookup').discard();
});
