// Async I/O throughput: generator -> AsyncDataStream.unorderedWait(HTTP
// lookup) -> discard on one worker with one slot, against a local HTTP
// service (node:http in this process) that answers every lookup after
// --latency-ms. Counts the lookups the service answered per second over a
// window after a warm-up, and the CPU of the worker and of the service.
// Run: npx node bench/async-io.ts [--seconds 20] [--latency-ms 5] [--capacity 1000] [--sockets 1000]
import { parseArgs } from 'node:util';
import { startLookupServer } from '../test/helpers/lookup-server.ts';
import { BenchCluster, cpuSeconds, machine, rssMiB, weir } from './support/cluster.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '20' }, 'latency-ms': { type: 'string', default: '5' }, capacity: { type: 'string', default: '1000' }, sockets: { type: 'string', default: '1000' } },
});
const seconds = Number(values.seconds);
const latencyMs = Number(values['latency-ms']);

const server = await startLookupServer({ latencyMs: () => latencyMs });
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
  process.stdout.write('| lookups/s (1 worker, 1 slot) | worker cores | lookups/s per worker core | service (bench process) cores | max worker RSS (MiB) |\n|---|---|---|---|---|\n');
  process.stdout.write(`| ${Math.round(lookups).toLocaleString('en-US')} | ${workerCores.toFixed(2)} | ${Math.round(lookups / workerCores).toLocaleString('en-US')} | ${serviceCores.toFixed(2)} | ${Math.round(maxRss)} |\n`);
} finally {
  await cluster.stop();
  await server.stop();
}
