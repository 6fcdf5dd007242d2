// Whether a job can start from a checkpoint or savepoint, state by state:
// what `weir savepoint check` prints and what a restore checks before any
// record flows.
import {
  builtInStates,
  compareStateMetadata,
  mergeStateMetadata,
  OPERATOR_HELD_KINDS,
  stateMigrationMessage,
  type JobGraph,
  type StateMetadata,
} from '@weir/common';
import type { CheckpointMetadata } from './checkpoint-metadata.ts';

/**
 * What happens to one state on restore: `maps` (restored as it is),
 * `migrates` (restored through the job's migration), `kept` (restored;
 * the job does not declare it, so it is checked when first used), `new`
 * (declared by the job, not in the savepoint: starts empty), `dropped` (its
 * operator is gone: not restored) and `incompatible` (the restore fails).
 */
export type StateRestoreStatus = 'maps' | 'migrates' | 'kept' | 'new' | 'dropped' | 'incompatible';

/** One row of the check: an operator's state. */
export interface StateCheckRow {
  /** The operator's uid (its id in the job graph and the checkpoint). */
  operator: string;
  state: string;
  status: StateRestoreStatus;
  /** What the savepoint has, when it has the state. */
  savepoint?: StateMetadata;
  /** What the job declares, when it declares the state. */
  job?: StateMetadata;
  /** Why it is incompatible or dropped, and what to do. */
  reason?: string;
}

/** The result of checking a savepoint against a job. */
export interface StateCheckReport {
  rows: StateCheckRow[];
  /** The problems that make the restore fail (empty when it would succeed), each naming the operator and what to do. */
  problems: string[];
}

/** Marks a row for a savepoint without recorded states (written by an older Weir). */
const UNRECORDED = '(state)';

/** The states a job declares for an operator of the graph: the runtime's own, then the user function's. */
function declaredStates(op: JobGraph['vertices'][number]['operators'][number]): StateMetadata[] {
  const declared = mergeStateMetadata(builtInStates(op.kind), op.states ?? []);
  // The `migrates` mark is part of the declaration: put it back for the user's states.
  const migrating = new Set((op.states ?? []).filter((s) => s.migrates).map((s) => s.name));
  return declared.map((s) => (migrating.has(s.name) ? { ...s, migrates: true } : s));
}

/**
 * Checks every state of `metadata` against `graph`: operators matched by
 * uid, states by name. A savepoint state of an operator the job does not
 * have fails the restore unless `allowNonRestoredState` (then it is
 * dropped); a kind or serializer change, or a version change without a
 * migration, always fails it; keyed state must keep its number of key groups.
 */
export function checkSavepointStates(metadata: CheckpointMetadata, graph: JobGraph, allowNonRestoredState: boolean): StateCheckReport {
  const rows: StateCheckRow[] = [];
  const problems: string[] = [];
  const operators = new Map(graph.vertices.flatMap((v) => v.operators.map((o) => [o.id, { op: o, vertex: v }] as const)));
  for (const [id, saved] of Object.entries(metadata.operators)) {
    const hasState = saved.subtasks.some((s) => s.keyedState.length > 0 || s.operatorState.length > 0 || Object.values(s.broadcastState ?? {}).some((e) => e.length > 0));
    const savedStates = saved.states ?? [];
    const found = operators.get(id);
    if (!found) {
      if (!hasState && savedStates.length === 0) continue;
      const reason = allowNonRestoredState
        ? `the job has no operator '${id}': its state is not restored (--allow-non-restored-state)`
        : `the job has no operator '${id}': give the operator its old .uid(), or pass --allow-non-restored-state to drop its state`;
      const listed = savedStates.length > 0 ? savedStates : [undefined];
      for (const state of listed) rows.push({ operator: id, state: state?.name ?? UNRECORDED, status: 'dropped', ...(state ? { savepoint: state } : {}), reason });
      if (hasState && !allowNonRestoredState) {
        problems.push(`the savepoint has state for operator '${id}', which the job does not have: give the operator its old .uid(), or pass --allow-non-restored-state to drop that state`);
      }
      continue;
    }
    const { op, vertex } = found;
    const keyed = saved.subtasks.some((s) => s.keyedState.length > 0);
    if (keyed && saved.maxParallelism !== vertex.maxParallelism) {
      const problem = `operator '${id}' has keyed state in ${saved.maxParallelism} key groups but the job gives it maxParallelism ${vertex.maxParallelism}: keep setMaxParallelism(${saved.maxParallelism}); the number of key groups cannot change once a job has state`;
      rows.push({ operator: id, state: '(key groups)', status: 'incompatible', reason: problem });
      problems.push(problem);
    }
    const declared = new Map(declaredStates(op).map((s) => [s.name, s]));
    for (const state of savedStates) {
      const mine = declared.get(state.name);
      declared.delete(state.name);
      if (!mine) {
        const builtIn = OPERATOR_HELD_KINDS.includes(state.kind);
        rows.push({ operator: id, state: state.name, status: builtIn ? 'maps' : 'kept', savepoint: state, ...(builtIn ? {} : { reason: 'not declared by the job: restored, and checked when the function first uses it' }) });
        continue;
      }
      const fit = compareStateMetadata(state, mine);
      if (fit.fits) {
        rows.push({ operator: id, state: state.name, status: fit.migrates ? 'migrates' : 'maps', savepoint: state, job: mine });
      } else {
        rows.push({ operator: id, state: state.name, status: 'incompatible', savepoint: state, job: mine, reason: fit.reason });
        problems.push(`StateMigrationError: ${stateMigrationMessage(id, state, mine, fit.reason)}`);
      }
    }
    for (const mine of declared.values()) rows.push({ operator: id, state: mine.name, status: 'new', job: mine });
  }
  for (const [id, { op }] of operators) {
    if (metadata.operators[id]) continue;
    for (const mine of declaredStates(op)) rows.push({ operator: id, state: mine.name, status: 'new', job: mine });
  }
  return { rows, problems };
}
