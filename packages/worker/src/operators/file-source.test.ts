import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OperatorDescriptor } from '@weir/common';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperatorContext } from '../runtime/operator.ts';
import { fileSource } from './file-source.ts';
import { testOperatorContext } from '../testing/operator-context.ts';

const root = mkdtempSync(join(tmpdir(), 'weir-file-source-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let fileCounter = 0;
function writeInput(content: string | Uint8Array): string {
  const path = join(root, `input-${fileCounter++}.txt`);
  writeFileSync(path, content);
  return path;
}

const OPERATOR_ID = 'source-file-0';

function context(path: string, format: 'text' | 'jsonl', subtaskIndex: number, parallelism: number, deadLetterDir: string): OperatorContext {
  const descriptor: OperatorDescriptor = { id: OPERATOR_ID, name: 'TextFile', kind: 'source.file', config: { path, format } };
  return testOperatorContext({ descriptor, subtaskIndex, parallelism, deadLetterDir, dataDir: root });
}

interface SubtaskResult {
  records: unknown[];
  deadLetterCount: number;
  deadLetterDir: string;
}

/** Runs subtask `k` of `p` to the end, in batches of at most `max`, as a StreamTask would. */
async function runSubtask(path: string, format: 'text' | 'jsonl', k: number, p: number, max: number): Promise<SubtaskResult> {
  const deadLetterDir = join(root, `dead-${fileCounter++}`);
  const ctx = context(path, format, k, p, deadLetterDir);
  const records: unknown[] = [];
  const source = fileSource(ctx, (record) => records.push(record));
  await source.open?.();
  try {
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('the source never finished');
      const before = records.length;
      const more = await source.emitBatch(max);
      if (records.length - before > max) throw new Error(`emitBatch(${max}) emitted ${records.length - before} records`);
      ctx.deadLetters.flush();
      if (!more) break;
    }
  } finally {
    await source.close?.();
  }
  return { records, deadLetterCount: ctx.deadLetters.count, deadLetterDir };
}

async function runAll(path: string, format: 'text' | 'jsonl', p: number, max = 512): Promise<SubtaskResult[]> {
  const results: SubtaskResult[] = [];
  for (let k = 0; k < p; k++) results.push(await runSubtask(path, format, k, p, max));
  return results;
}

/** Independent expectation: the lines of a file (LF or CRLF) with the byte offset where each starts. */
function fileLines(bytes: Uint8Array): { text: string; offset: number }[] {
  const decoder = new TextDecoder();
  const lines: { text: string; offset: number }[] = [];
  let start = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, start);
    if (nl < 0) break;
    const endOfText = nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : nl;
    lines.push({ text: decoder.decode(bytes.subarray(start, endOfText)), offset: start });
    start = nl + 1;
  }
  if (start < bytes.length) lines.push({ text: decoder.decode(bytes.subarray(start)), offset: start });
  return lines;
}

/** The lines each of `p` subtasks should read: those whose first byte lies in [k*size/p, (k+1)*size/p). */
function expectedSplit(bytes: Uint8Array, p: number, lines = fileLines(bytes)): string[][] {
  const size = bytes.length;
  const out: string[][] = Array.from({ length: p }, () => []);
  for (const line of lines) {
    let owner = -1;
    for (let k = 0; k < p; k++) {
      if (line.offset >= Math.floor((size * k) / p) && line.offset < Math.floor((size * (k + 1)) / p)) owner = k;
    }
    out[owner]!.push(line.text);
  }
  return out;
}

/** A deterministic pseudo-random generator (LCG) so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const CASES: [string, string | Uint8Array][] = [
  ['trailing newline', 'alpha\nbeta\ngamma\n'],
  ['no trailing newline', 'alpha\nbeta\ngamma'],
  ['CRLF line endings', 'one\r\ntwo\r\n\r\nthree\r\nfour'],
  ['CRLF with trailing CRLF', 'one\r\ntwo\r\n'],
  ['empty lines', '\n\nx\n\n\ny\n\n'],
  ['a single newline', '\n'],
  ['a single line without newline', 'lonely'],
  ['an empty file', ''],
  ['a file smaller than the parallelism', 'a\n'],
  ['two bytes', 'ab'],
  ['multi-byte UTF-8', 'héllo wörld\n日本語のテキスト\n😀 emoji 𝄞\nplain\n'],
  ['lines longer than the 256 KiB chunk', `short\n${'L'.repeat(300_000)}\nmiddle\n${'M'.repeat(600_000)}\n\n${'é'.repeat(200_000)}\nend`],
  ['a single line longer than a chunk', 'x'.repeat(700_000)],
];

describe('fileSource text mode', () => {
  it.each(CASES)('%s: every line is read exactly once, by the subtask owning its first byte (p = 1..4)', async (_name, content) => {
    const path = writeInput(content);
    const bytes = readFileSync(path);
    for (let p = 1; p <= 4; p++) {
      const results = await runAll(path, 'text', p);
      const expected = expectedSplit(bytes, p);
      expect(results.map((r) => r.records), `parallelism ${p}`).toEqual(expected);
    }
  });

  it('reads a large file of varied lines (crossing many chunks) exactly once for p = 1..4, in small and large batches', async () => {
    const next = random(42);
    const parts: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const length = Math.floor(next() * next() * 400);
      const alphabet = i % 7 === 0 ? 'äöü€' : 'abcdefghij';
      let line = `${i}:`;
      for (let c = 0; c < length; c++) line += alphabet[Math.floor(next() * alphabet.length)];
      parts.push(line, i % 5 === 0 ? '\r\n' : '\n');
    }
    const path = writeInput(parts.join(''));
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes.length).toBeGreaterThan(3 * 256 * 1024);
    const lines = fileLines(bytes);
    const all = lines.map((l) => l.text);
    expect(all).toHaveLength(12_000);
    for (let p = 1; p <= 4; p++) {
      const expected = JSON.stringify(expectedSplit(bytes, p, lines));
      for (const max of [1000, 37]) {
        const results = await runAll(path, 'text', p, max);
        // JSON text compares 12 000 lines much faster than a deep equality, with the same strictness.
        expect(JSON.stringify(results.map((r) => r.records)), `p=${p} max=${max}`).toBe(expected);
        expect(JSON.stringify(results.flatMap((r) => r.records))).toBe(JSON.stringify(all));
      }
    }
  });

  it('fails to open a missing file with a message naming the path', async () => {
    const path = join(root, 'does-not-exist.txt');
    const source = fileSource(context(path, 'text', 0, 1, join(root, 'dead-missing')), () => {});
    await expect(async () => source.open?.()).rejects.toThrow(`cannot open input file ${path}`);
  });
});

interface Letter {
  operator: string;
  reason: string;
  origin: { file: string; byteOffset: number };
  raw: string;
}

function readLetters(result: SubtaskResult, subtask: number): Letter[] {
  const files = (() => {
    try {
      return readdirSync(result.deadLetterDir);
    } catch {
      return [];
    }
  })();
  if (files.length === 0) return [];
  expect(files).toEqual([`${OPERATOR_ID}-${subtask}.jsonl`]);
  const text = readFileSync(join(result.deadLetterDir, files[0]!), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Letter);
}

describe('fileSource JSON-lines mode', () => {
  const lines = [
    '{"id":1,"name":"a"}',
    '{"id":2,',
    '',
    '   ',
    '[1,2,3]',
    'not json at all',
    '"just a string"',
    '42',
    '{"id":3,"text":"日本語"}\r',
    '{"id":4} trailing',
    'null',
    '{"id":5}',
  ];
  const content = `${lines.join('\n')}\n`;
  const malformed = ['{"id":2,', 'not json at all', '{"id":4} trailing'];
  const valid = [{ id: 1, name: 'a' }, [1, 2, 3], 'just a string', 42, { id: 3, text: '日本語' }, null, { id: 5 }];

  it.each([1, 2, 3, 4])('parallelism %i: parses valid lines, skips blank ones and dead-letters malformed ones with reason and byte offset', async (p) => {
    const path = writeInput(content);
    const bytes = readFileSync(path);
    const results = await runAll(path, 'jsonl', p);

    expect(results.flatMap((r) => r.records)).toEqual(valid);

    const letters = results.flatMap((r, k) => readLetters(r, k));
    expect(letters.map((l) => l.raw)).toEqual(malformed);
    expect(results.reduce((n, r) => n + r.deadLetterCount, 0)).toBe(malformed.length);
    results.forEach((r, k) => expect(readLetters(r, k)).toHaveLength(r.deadLetterCount));
    for (const letter of letters) {
      expect(letter.operator).toBe(OPERATOR_ID);
      expect(letter.reason).toMatch(/^invalid JSON: /);
      expect(letter.origin.file).toBe(path);
      // the byte offset is where the line starts in the file
      const at = letter.origin.byteOffset;
      expect(at === 0 || bytes[at - 1] === 0x0a).toBe(true);
      expect(new TextDecoder().decode(bytes.subarray(at, at + Buffer.byteLength(letter.raw)))).toBe(letter.raw);
    }
  });

  it('counts dead letters per subtask and writes nothing when every line is valid', async () => {
    const path = writeInput('{"a":1}\n{"a":2}\n');
    const results = await runAll(path, 'jsonl', 2);
    expect(results.flatMap((r) => r.records)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(results.map((r) => r.deadLetterCount)).toEqual([0, 0]);
    expect(results.flatMap((r, k) => readLetters(r, k))).toEqual([]);
  });

  it('reports the byte offset of a malformed line after multi-byte text and long lines', async () => {
    const before = `{"t":"${'ü'.repeat(150_000)}"}\n{"t":"ok"}\r\n`;
    const path = writeInput(`${before}{broken\n{"t":"last"}`);
    const [result] = await runAll(path, 'jsonl', 1);
    expect(result!.records).toHaveLength(3);
    const letters = readLetters(result!, 0);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.raw).toBe('{broken');
    expect(letters[0]!.origin.byteOffset).toBe(Buffer.byteLength(before));
  });
});
