// Test support: checkpoint and restore a keyed operator's heap state, timers
// included, as a restarted task does.
import type { KeyGroupRange } from '@weir/common';
import type { ChainedOperator } from '../runtime/operator.ts';
import { HeapKeyedStateBackend } from '../state-backends/heap-keyed-state-backend.ts';
import { readKeyedStateFile } from '../state-backends/keyed-state-file.ts';

/**
 * Writes `state` to `directory`, restores it into a new heap backend, builds
 * a new operator on it with `build` and gives it back its timers. `between`
 * runs after the synchronous snapshot and before the write.
 */
export async function restartKeyedOperator(
  state: HeapKeyedStateBackend,
  range: KeyGroupRange,
  directory: string,
  build: (state: HeapKeyedStateBackend) => ChainedOperator,
  between?: () => void,
): Promise<{ state: HeapKeyedStateBackend; op: ChainedOperator }> {
  const snapshot = state.snapshot();
  between?.();
  const handle = await snapshot.write(directory, 'keyed.state');
  snapshot.release();
  const restored = new HeapKeyedStateBackend(range, 128);
  await restored.restore(directory, [handle]);
  const op = build(restored);
  for (const [, table, key, value] of await readKeyedStateFile(directory, handle, range)) {
    if (table.startsWith('timers/')) op.timers!.service.restore(table, key, value);
  }
  return { state: restored, op };
}
