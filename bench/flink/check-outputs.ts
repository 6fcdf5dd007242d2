// Output equality: runs each query on Weir (`weir local`, 2 workers x 4 slots,
// p=2) and on Flink (MiniCluster, 2 TaskManagers x 4 slots, p=2) over the
// same small input with the exactly-once file sinks, and compares the JSON
// lines of both (sorted) with each other and with bench/nexmark/reference.ts.
// Exits 1 and prints the lines that differ when they are not identical.
//
//   npx node bench/flink/check-outputs.ts [--queries q5,q7] [--events 50000] [--event-rate 500]
//
// A lower event rate spreads the events over more event time (more windows).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_NEXMARK_CONFIG } from '../nexmark/generator.ts';
import { generateEvents, QUERIES, REFERENCE, type QueryName } from '../nexmark/reference.ts';
import { runWeirJobToEnd } from '../support/weir-job.ts';
import { runFlinkJobToEnd } from './flink-job.ts';

const { values } = parseArgs({ options: { queries: { type: 'string', default: 'q5,q7' }, events: { type: 'string', default: '50000' }, 'event-rate': { type: 'string', default: '500' } } });
const queries = values.queries.split(',') as QueryName[];
for (const q of queries) if (!QUERIES.includes(q)) throw new Error(`unknown query '${q}': choose from ${QUERIES.join(', ')}`);
const events = Number(values.events);
const eventRate = Number(values['event-rate']);
const TIMEOUT_MS = 300_000;

/** The sorted lines of every finished part file in `dir` (Weir: part-*.jsonl; Flink: part-*; in-progress files start with a dot). */
async function sortedLines(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.startsWith('part-')).sort()) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) if (line !== '') lines.push(line);
  }
  return lines.sort();
}

/** Lines in a but not b, and in b but not a (as multisets). */
function diff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const counts = new Map<string, number>();
  for (const l of a) counts.set(l, (counts.get(l) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const l of b) {
    const c = counts.get(l) ?? 0;
    if (c === 0) onlyB.push(l);
    else counts.set(l, c - 1);
  }
  const onlyA = [...counts].flatMap(([l, c]) => Array<string>(c).fill(l));
  return { onlyA, onlyB };
}

function report(name: [string, string], a: string[], b: string[]): boolean {
  const { onlyA, onlyB } = diff(a, b);
  if (onlyA.length === 0 && onlyB.length === 0) return true;
  process.stdout.write(`  ${name[0]} and ${name[1]} differ: ${onlyA.length} lines only in ${name[0]}, ${onlyB.length} only in ${name[1]}\n`);
  for (const l of onlyA.slice(0, 10)) process.stdout.write(`    only ${name[0]}: ${l}\n`);
  for (const l of onlyB.slice(0, 10)) process.stdout.write(`    only ${name[1]}: ${l}\n`);
  return false;
}

const work = await mkdtemp(join(tmpdir(), 'weir-flink-outputs-'));
let ok = true;
try {
  for (const query of queries) {
    const args = ['--events', String(events), '--event-rate', String(eventRate), '--checkpoint-interval', '1000'];
    const weirDir = join(work, `${query}-weir`);
    const flinkDir = join(work, `${query}-flink`);
    await runWeirJobToEnd({ job: `bench/nexmark/${query}.ts`, jobArgs: [...args, '--output', weirDir], workers: 2, slots: 4, parallelism: 2, label: `weir ${query}` }, TIMEOUT_MS);
    await runFlinkJobToEnd(['--query', query, ...args, '--output', flinkDir, '--slots', '4'], `flink ${query}`, TIMEOUT_MS);
    const weir = await sortedLines(weirDir);
    const flink = await sortedLines(flinkDir);
    const reference = REFERENCE[query](generateEvents(events, { ...DEFAULT_NEXMARK_CONFIG, rate: eventRate }))
      .map((r) => JSON.stringify(r))
      .sort();
    process.stdout.write(`${query}: Weir ${weir.length} rows, Flink ${flink.length} rows, reference ${reference.length} rows\n`);
    const same = report(['Weir', 'Flink'], weir, flink);
    const weirRef = report(['Weir', 'reference'], weir, reference);
    const flinkRef = report(['Flink', 'reference'], flink, reference);
    if (same) process.stdout.write(`  Weir and Flink: identical after sorting\n`);
    ok &&= same && weirRef && flinkRef;
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
process.stdout.write(ok ? 'check-outputs: identical\n' : 'check-outputs: FAILED (differences above)\n');
process.exit(ok ? 0 : 1);
