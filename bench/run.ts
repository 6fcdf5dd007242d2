// The benchmarks' one entry point: `npm run bench` lists them,
// `npm run bench -- <name> [flags]` runs one with its own flags (each file's
// first comment says which). Every benchmark starts its own cluster on
// loopback and stops it; run them on an otherwise idle machine and record
// the figures in bench/RESULTS.md with the command and the machine.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Benchmark {
  file: string;
  summary: string;
  /** What must run beside it, if anything. */
  needs?: string;
}

const BENCHMARKS: Record<string, Benchmark> = {
  'keyed-count': { file: 'keyed-count.ts', summary: 'generator -> keyBy -> count -> discard, records/s in several layouts (chaining, slot sharing, state backend)' },
  tls: { file: 'tls.ts', summary: 'keyed-count across two workers with mutual TLS vs plaintext, and the token check per call' },
  nexmark: { file: 'nexmark/run.ts', summary: 'Nexmark queries: events/s and events/s per core' },
  checkpoint: { file: 'checkpoint.ts', summary: 'checkpoint duration and throughput during it, with 1M+ keys of state' },
  recovery: { file: 'recovery.ts', summary: 'SIGKILL of a worker -> RUNNING again, -> 80% of the throughput' },
  'k8s-launch': { file: 'k8s-launch.ts', summary: 'deploy/k8s/overlays/ha as processes in network namespaces: launch -> ready, leader failover, 1M-key checkpoint to S3', needs: 'root (ip netns), etcd, SeaweedFS: scripts/seaweedfs.sh fetch' },
  'leader-failover': { file: 'leader-failover.ts', summary: 'SIGKILL of the leader coordinator -> output flowing again', needs: 'etcd' },
  'kafka-source': { file: 'kafka-source.ts', summary: 'Kafka source records/s', needs: 'Java 17 and the Kafka jars: scripts/kafka-local.sh fetch' },
  'kafka-sink': { file: 'kafka-sink.ts', summary: 'Kafka sink records/s, exactly-once and at-least-once', needs: 'Java 17 and the Kafka jars' },
  'kafka-pipeline': { file: 'kafka-pipeline.ts', summary: 'Kafka -> map -> Kafka throughput and latency', needs: 'Java 17 and the Kafka jars' },
  'async-io': { file: 'async-io.ts', summary: 'AsyncDataStream HTTP lookups/s per worker against a local service with 5 ms latency' },
  'rocksdb-micro': { file: 'support/rocksdb-backend-micro.ts', summary: 'the RocksDB keyed-state backend alone, operations/s' },
};

function usage(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((name) => name.length));
  const lines = Object.entries(BENCHMARKS).map(
    ([name, b]) => `  ${name.padEnd(width)}  ${b.summary}${b.needs ? `  (needs: ${b.needs})` : ''}`,
  );
  return ['usage: npm run bench -- <benchmark> [flags]', '', 'benchmarks:', ...lines, '', 'Flags are the benchmark\'s own; see the first comment of its file under bench/.'].join('\n');
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h') {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}
const benchmark = BENCHMARKS[name];
if (!benchmark) {
  process.stderr.write(`bench: no benchmark named "${name}"\n\n${usage()}\n`);
  process.exit(2);
}
const file = fileURLToPath(new URL(benchmark.file, import.meta.url));
const child = spawn(process.execPath, [file, ...rest], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
