import { dirname, basename } from 'node:path';
import type { KeyGroupRange } from '@weir/common/runtime';
import type { ChainFile } from './incremental-snapshot-chain.ts';
import type { KeyedStateHandle } from './keyed-state-backend.ts';
import { KEYED_STATE_CHUNK, readKeyedStatePieces, writeKeyedStateFile, type KeyedStatePackedBlock } from './keyed-state-file.ts';
import { packStateValue } from './state-value-codec.ts';

/** Entries merged per pass: a chain holding more is merged in key-group ranges, one pass each (each reads every file). */
const PASS_ENTRIES = 800_000;
/** Chains with more entries than this are materialized by scanning the database instead (one pass, bounded memory). */
export const MERGE_MAX_ENTRIES = 1_600_000;
/** Pieces worked through before letting records flow again (a few milliseconds of work). */
const PIECES_PER_SLICE = 4;

interface Merged {
  g: number;
  p: Uint8Array;
}

const yieldToRecords = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Merges the files of an incremental chain (a base and deltas, in order)
 * into one file holding the state they add up to: later entries replace
 * earlier ones, deletions remove them. Values stay packed bytes. Works
 * between records (yielding every few pieces) and, for large chains, one
 * key-group range at a time so memory stays bounded. This is how a chain is
 * materialized without scanning the database.
 */
export async function materializeChain(
  files: readonly ChainFile[],
  path: string,
  header: { maxParallelism: number; keyGroupRange: KeyGroupRange },
  isCancelled: () => boolean,
): Promise<KeyedStateHandle> {
  const total = files.reduce((n, f) => n + f.handle.entries, 0);
  const { start, end } = header.keyGroupRange;
  const groups = end - start + 1;
  const passes = Math.max(1, Math.min(groups, Math.ceil(total / PASS_ENTRIES)));
  const ranges: KeyGroupRange[] = [];
  for (let i = 0; i < passes; i++) {
    ranges.push({ start: start + Math.floor((groups * i) / passes), end: start + Math.floor((groups * (i + 1)) / passes) - 1 });
  }
  async function* blocks(): AsyncGenerator<KeyedStatePackedBlock> {
    for (const range of ranges) {
      // Per table: key -> latest (key group, packed value). Values stay views into the files' bytes: a mergeable
      // chain is small (MERGE_MAX_ENTRIES), and copying every value cost more than the bytes it would free.
      const tables = new Map<string, Map<string, Merged>>();
      const tableOf = (t: string): Map<string, Merged> => {
        let entries = tables.get(t);
        if (!entries) tables.set(t, (entries = new Map()));
        return entries;
      };
      for (const file of files) {
        let pieces = 0;
        for await (const piece of readKeyedStatePieces(dirname(file.path), { ...file.handle, file: basename(file.path) })) {
          if (++pieces % PIECES_PER_SLICE === 0) {
            await yieldToRecords();
            if (isCancelled()) throw new Error('keyed state: materialization cancelled');
          }
          if (Array.isArray(piece)) {
            for (const [g, t, k, v] of piece) if (g >= range.start && g <= range.end) tableOf(t).set(k, { g, p: packStateValue(v) });
            continue;
          }
          const { g, k } = piece;
          const entries = tableOf(piece.t);
          const packed = 'p' in piece ? piece.p : undefined;
          const decoded = 'v' in piece ? piece.v : undefined;
          for (let j = 0; j < k.length; j++) {
            const group = typeof g === 'number' ? g : g[j]!;
            if (group < range.start || group > range.end) continue;
            const value = packed ? packed[j]! : packStateValue(decoded![j]);
            if (value === null) entries.delete(k[j]!);
            else entries.set(k[j]!, { g: group, p: value });
          }
        }
      }
      let emitted = 0;
      for (const [t, entries] of tables) {
        let block: KeyedStatePackedBlock & { g: number[] } = { t, g: [], k: [], p: [] };
        for (const [key, { g, p }] of entries) {
          block.g.push(g);
          block.k.push(key);
          block.p.push(p);
          if (block.k.length === KEYED_STATE_CHUNK) {
            yield block;
            block = { t, g: [], k: [], p: [] };
            if (++emitted % PIECES_PER_SLICE === 0) await yieldToRecords();
          }
        }
        if (block.k.length > 0) yield block;
      }
    }
  }
  return writeKeyedStateFile(dirname(path), basename(path), header, blocks());
}

