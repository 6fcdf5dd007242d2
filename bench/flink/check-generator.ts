// Checks that the Java port of the Nexmark generator (bench/flink, Main
// --dump) writes the same events as bench/nexmark/generator.ts, as JSON text
// byte for byte, and fails on the first difference, naming the event and field.
//
//   npx node bench/flink/check-generator.ts [--events 100000] [--event-rate R]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULT_NEXMARK_CONFIG, nexmarkEvent } from '../nexmark/generator.ts';
import { buildFlink, FLINK_DIR } from './flink-job.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' }, 'event-rate': { type: 'string' } } });
const count = Number(values.events);
const config = { ...DEFAULT_NEXMARK_CONFIG, rate: values['event-rate'] === undefined ? DEFAULT_NEXMARK_CONFIG.rate : Number(values['event-rate']) };

/** The first field whose JSON text differs between two event lines. */
function firstDifference(weir: string, flink: string): string {
  let w: Record<string, unknown>;
  let f: Record<string, unknown>;
  try {
    w = JSON.parse(weir) as Record<string, unknown>;
    f = JSON.parse(flink) as Record<string, unknown>;
  } catch {
    return 'the Java line is not JSON';
  }
  const keys = Object.keys(w);
  const fkeys = Object.keys(f);
  if (keys.join(',') !== fkeys.join(',')) return `fields differ: Weir ${keys.join(',')}, Flink ${fkeys.join(',')}`;
  for (const k of keys) if (JSON.stringify(w[k]) !== JSON.stringify(f[k])) return `field '${k}': Weir ${JSON.stringify(w[k])}, Flink ${JSON.stringify(f[k])}`;
  return 'the same values, different text (number formatting or escaping)';
}

await buildFlink();
const java = spawn('java', ['-cp', `target/weir-flink-bench.jar:target/lib/*`, 'dev.weir.bench.flink.Main', '--dump', String(count), '--event-rate', String(config.rate)], {
  cwd: FLINK_DIR,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let n = 0;
let failure: string | undefined;
for await (const line of createInterface({ input: java.stdout })) {
  const expected = JSON.stringify(nexmarkEvent(n, config));
  if (line !== expected) {
    failure = `event ${n} differs: ${firstDifference(expected, line)}\n  Weir:  ${expected}\n  Flink: ${line}`;
    java.kill();
    break;
  }
  n++;
}
if (failure === undefined && n !== count) failure = `the Java generator wrote ${n} events, expected ${count}`;
if (failure !== undefined) {
  process.stderr.write(`check-generator: FAILED: ${failure}\n`);
  process.exit(1);
}
process.stdout.write(`check-generator: the first ${count.toLocaleString('en-US')} events are identical (rate ${config.rate} events/s of event time)\n`);
