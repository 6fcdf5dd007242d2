// Async I/O throughput: generator -> AsyncDataStream.unorderedWait(HTTP
// lookup) -> discard on one worker with one slot, against a local HTTP
// service (node:http in this process) that answers every lookup after
// --latency-ms. Counts the lookups the service answered per second over a
// window after a warm-up, and the CPU of the worker and of the service.
// First, as a baseline, this process alone runs the same lookups with the
// same number in flight for a few seconds: the HTTP client's ceiling on this
// machine, without Weir.
// Run: npx node bench/async-io.ts [--seconds 20] [--latency-ms 5] [--capacity 1000] [--sockets 1000]
import { Agent, get } from 'node:http';
import { parseArgs } from 'node:util';
import { startLookupServer } from '../test/helpers/lookup-server.ts';
import { BenchCluster, cpuSeconds, machine, rssMiB, weir } from './support/cluster.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '20' }, 'latency-ms': { type: 'string', default: '5' }, capacity: { type: 'string', default: '1000' }, sockets: { type: 'string', default: '1000' } },
});
const seconds = Number(values.seconds);
const latencyMs = Number(values['latency-ms']);

const server = await startLookupServer({ latencyMs: () => latencyMs });

/** Lookups/s, and lookups per CPU second, of a plain loop in this process (client and service) keeping `inFlight` lookups going, for `ms`. */
async function baseline(inFlight: number, sockets: number, ms: number): Promise<{ rate: number; perCore: number }> {
  const cpu0 = process.cpuUsage();
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const lookup = (id: number) =>
    new Promise<void>((resolve, reject) => {
      get(`${server.url}/lookup?id=${id}`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  let id = 0;
  let done = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (performance.now() - t0 < ms) {
      await lookup(id++);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  agent.destroy();
  const cpu = process.cpuUsage(cpu0);
  return { rate: done / ((performance.now() - t0) / 1000), perCore: done / ((cpu.user + cpu.system) / 1e6) };
}
const ceiling = await baseline(Number(values.capacity), Number(values.sockets), 5000);
const cluster = new BenchCluster();
await cluster.start(1, 1);
try {
  const submit = await weir(['run', 'bench/jobs/async-lookup.ts', '-p', '1', '-d', '--json', '--coordinator', cluster.address, '--', server.url, values.capacity!, values.sockets!]);
  if (submit.code !== 0) throw new Error(submit.stderr);
  const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
  const [worker] = await cluster.workerPids();
  await new Promise((r) => setTimeout(r, 5000));
  const view = await cluster.status(jobId);
  if (view.status !== 'RUNNING') throw new Error(`job is ${view.status}: ${view.error}`);
  const n0 = server.answered;
  const cpu0 = await cpuSeconds(worker!);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  let maxRss = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    maxRss = Math.max(maxRss, await rssMiB(worker!));
  }
  const elapsed = (performance.now() - t0) / 1000;
  const lookups = (server.answered - n0) / elapsed;
  const workerCores = ((await cpuSeconds(worker!)) - cpu0) / elapsed;
  const own = process.cpuUsage(own0);
  const serviceCores = (own.user + own.system) / 1e6 / elapsed;
  process.stdout.write(`machine: ${machine()}\n`);
  process.stdout.write(`latency ${latencyMs} ms, capacity ${values.capacity}, sockets ${values.sockets}, ${seconds} s window\n\n`);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  process.stdout.write('| lookups/s (1 worker, 1 slot) | worker cores | lookups/s per worker core | service (bench process) cores | max worker RSS (MiB) | baseline: plain client loop, lookups/s | baseline: lookups per core (client and service) |\n|---|---|---|---|---|---|---|\n');
  process.stdout.write(`| ${n(lookups)} | ${workerCores.toFixed(2)} | ${n(lookups / workerCores)} | ${serviceCores.toFixed(2)} | ${Math.round(maxRss)} | ${n(ceiling.rate)} | ${n(ceiling.perCore)} |\n`);
} finally {
  await cluster.stop();
  await server.stop();
}
