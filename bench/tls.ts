// What security costs, in one run:
//   1. keyed-count throughput across two workers (half the records cross the
//      Exchange stream between them) with mutual TLS and with plaintext,
//      alternating rounds so that a machine's drift hits both alike;
//   2. the bearer-token check of one client API call (ClientAuthorization.decide:
//      digest, constant-time comparison with every token of the file, role),
//      with a tokens file of 1 and of 100 tokens.
// Run: npx node bench/tls.ts [--seconds 15] [--rounds 2]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ClientAuthorization, parseTokens } from '@weir/coordinator';
import { createLogger } from '@weir/protocol';
import { BenchCluster, cpuSeconds, machine, weir } from './support/cluster.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, rounds: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

/** One measured window of keyed-count at p=2 on two workers x 2 slots: events/s and cores used. */
async function keyedCount(plaintext: boolean): Promise<{ rate: number; cores: number }> {
  const cluster = new BenchCluster();
  await cluster.start(2, 2, { plaintext });
  try {
    const jobId = await cluster.submit(['bench/jobs/keyed-count.ts', '-p', '2'], ['--state', 'heap']);
    const pids = [cluster.coordinatorPid, ...(await cluster.workerPids())];
    // Warm up 5 s, then measure.
    await new Promise((r) => setTimeout(r, 5000));
    const n0 = await cluster.produced(jobId);
    const cpu0 = await Promise.all(pids.map(cpuSeconds));
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const n1 = await cluster.produced(jobId);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu1 = await Promise.all(pids.map(cpuSeconds));
    await weir(['cancel', jobId, '--coordinator', cluster.address, ...cluster.clientArgs]);
    return { rate: (n1 - n0) / elapsed, cores: cpu1.reduce((s, c, i) => s + c - cpu0[i]!, 0) / elapsed };
  } finally {
    await cluster.stop();
  }
}

/** Microseconds per token check, with `tokens` tokens in the file, the caller's being the last. */
function tokenCheckMicros(tokens: number): number {
  const lines = Array.from({ length: tokens }, (_, i) => `viewer user-${i} ${randomBytes(24).toString('hex')}`);
  const store = parseTokens(lines.join('\n'), 'bench');
  const authorization = new ClientAuthorization(store, createLogger('bench'));
  const caller = { authorization: `Bearer ${lines.at(-1)!.split(' ')[2]}`, member: false, peer: 'bench' };
  const iterations = 200_000;
  for (let i = 0; i < 10_000; i++) authorization.decide('viewer', caller, 'ListJobs');
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    if (!authorization.decide('viewer', caller, 'ListJobs').allowed) throw new Error('the token was refused');
  }
  return ((performance.now() - t0) * 1000) / iterations;
}

const results: Record<'tls' | 'plaintext', { rate: number; cores: number }[]> = { tls: [], plaintext: [] };
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 === 0 ? (['tls', 'plaintext'] as const) : (['plaintext', 'tls'] as const)) {
    const result = await keyedCount(mode === 'plaintext');
    results[mode].push(result);
    process.stderr.write(`round ${round + 1}, ${mode}: ${Math.round(result.rate)} events/s, ${result.cores.toFixed(2)} cores\n`);
  }
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const tlsRate = mean(results.tls.map((r) => r.rate));
const plainRate = mean(results.plaintext.map((r) => r.rate));
const row = (mode: 'tls' | 'plaintext'): string => {
  const rs = results[mode];
  const rate = mean(rs.map((r) => r.rate));
  const cores = mean(rs.map((r) => r.cores));
  return `| ${mode === 'tls' ? 'mutual TLS' : 'plaintext'} | ${rs.map((r) => Math.round(r.rate).toLocaleString('en-US')).join(', ')} | ${Math.round(rate).toLocaleString('en-US')} | ${cores.toFixed(2)} | ${Math.round(rate / cores).toLocaleString('en-US')} |`;
};
const checks = [1, 100].map((n) => ({ n, micros: tokenCheckMicros(n) }));
process.stdout.write(
  [
    `tls benchmark: keyed-count p=2 on 2 workers x 2 slots (heap state, ${seconds} s window after 5 s warm-up, ${rounds} rounds alternating) on ${machine()}`,
    '',
    '| connections | events/s per round | events/s (mean) | cores used | events/s per core |',
    '|---|---|---|---|---|',
    row('tls'),
    row('plaintext'),
    '',
    `TLS throughput: ${((tlsRate / plainRate - 1) * 100).toFixed(1)}% against plaintext`,
    '',
    '| tokens in the file | token check per call (µs) |',
    '|---|---|',
    ...checks.map((c) => `| ${c.n} | ${c.micros.toFixed(2)} |`),
    '',
  ].join('\n'),
);
