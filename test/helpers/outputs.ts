// Reading and checking jobs' output in the e2e tests.
export { readJsonLines } from '@weir/testing';

/**
 * Checks keyed-counts style output: for each key the updates are exactly
 * 1..expected[key], each once. Returns a list of problems (empty when right).
 */
export function checkExactCounts(records: { key: string; count: number }[], expected: Map<string, number>): string[] {
  const seen = new Map<string, number[]>();
  for (const r of records) {
    const list = seen.get(r.key) ?? [];
    list.push(r.count);
    seen.set(r.key, list);
  }
  const problems: string[] = [];
  for (const [key, total] of expected) {
    const counts = (seen.get(key) ?? []).sort((a, b) => a - b);
    const ok = counts.length === total && counts.every((c, i) => c === i + 1);
    if (!ok) problems.push(`key ${key}: expected counts 1..${total}, got ${counts.length} updates (max ${counts.at(-1) ?? 0})`);
  }
  for (const key of seen.keys()) if (!expected.has(key)) problems.push(`unexpected key ${key}`);
  return problems;
}
