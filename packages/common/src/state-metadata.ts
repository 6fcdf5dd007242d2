// What a checkpoint records about each state of an operator (its
// descriptor: name, kind, serializer, schema version), so a restore can
// check that the job still reads the state the way it was written.
import type { OperatorKind } from './job-graph.ts';
import type { StateDescriptorSpec } from './user-functions.ts';

/**
 * The kinds of state an operator has: the five keyed state kinds of user
 * functions, `timers` (keyed timers), `window` (a window operator's
 * contents), `reduce` (keyed reduce's running value), `operator-list`
 * (operator list state: source positions, sink transactions, dead letters)
 * and `broadcast` (a broadcast state, by its descriptor's name).
 */
export const STATE_METADATA_KINDS = ['value', 'list', 'map', 'reducing', 'aggregating', 'timers', 'window', 'reduce', 'operator-list', 'broadcast'] as const;
export type StateMetadataKind = (typeof STATE_METADATA_KINDS)[number];

/**
 * How a state's values are written: `msgpack` (the default: structured
 * values, Dates, Maps and typed arrays survive) or `json` (the value as
 * JSON text: only what JSON keeps survives, and the stored text is readable).
 */
export const STATE_SERIALIZERS = ['msgpack', 'json'] as const;
export type StateSerializer = (typeof STATE_SERIALIZERS)[number];

/** One state of an operator, as a checkpoint's `_metadata` records it and a job declares it. */
export interface StateMetadata {
  /** Unique among the operator's states. */
  readonly name: string;
  readonly kind: StateMetadataKind;
  readonly serializer: StateSerializer;
  /** The schema version of the values, set on the descriptor (`{ version: 2 }`); 1 when unset. */
  readonly version: number;
  /** The job declares a migration (`migrate`) from older versions. Only in what a job declares, never in a checkpoint. */
  readonly migrates?: boolean;
}

/** The metadata of a keyed state descriptor (the SDK's descriptor classes, or any object of that shape). */
export function stateMetadataOf(descriptor: StateDescriptorSpec): StateMetadata {
  return {
    name: descriptor.name,
    kind: descriptor.kind,
    serializer: descriptor.serializer ?? 'msgpack',
    version: descriptor.version ?? 1,
    ...(typeof descriptor.migrate === 'function' ? { migrates: true } : {}),
  };
}

/** "value state, msgpack, version 2", for messages. */
export function describeStateMetadata(state: Pick<StateMetadata, 'kind' | 'serializer' | 'version'>): string {
  return `${state.kind} state, ${state.serializer}, version ${state.version}`;
}

/** Kinds the runtime holds for an operator whatever its function declares: they map whenever the operator exists. */
export const OPERATOR_HELD_KINDS: readonly StateMetadataKind[] = ['operator-list', 'broadcast'];

/** The name of an operator's operator list state in checkpoint metadata. */
export const OPERATOR_LIST_STATE_NAME = 'operator-state';

const TIMERS: StateMetadata = { name: 'timers', kind: 'timers', serializer: 'msgpack', version: 1 };

/**
 * The states the runtime keeps for an operator of `kind` besides the ones
 * its user function declares: timers of keyed functions and windows, a
 * window's contents, keyed reduce's value, an interval join's two sides. (Operator list state is
 * recorded when an operator has any.)
 */
export function builtInStates(kind: OperatorKind): StateMetadata[] {
  switch (kind) {
    case 'keyed.process':
    case 'keyed.coProcess':
    case 'keyed.broadcastProcess':
      return [TIMERS];
    case 'keyed.intervalJoin':
      return [TIMERS, ...['interval-join-left', 'interval-join-right'].map((name) => ({ name, kind: 'map' as const, serializer: 'msgpack' as const, version: 1 }))];
    case 'keyed.window':
      return [TIMERS, { name: 'window-contents', kind: 'window', serializer: 'msgpack', version: 1 }];
    case 'keyed.reduce':
      return [{ name: 'reduce', kind: 'reduce', serializer: 'msgpack', version: 1 }];
    default:
      return [];
  }
}

/** The states of several lists by name; a later list's entry wins. The `migrates` mark (a job's declaration) is dropped. */
export function mergeStateMetadata(...lists: readonly (readonly StateMetadata[])[]): StateMetadata[] {
  const byName = new Map<string, StateMetadata>();
  for (const list of lists) for (const { migrates: _migrates, ...state } of list) byName.set(state.name, state);
  return [...byName.values()];
}

/** How a state in a checkpoint fits the state a job declares of the same name. */
export type StateFit = { fits: true; migrates: boolean } | { fits: false; reason: string };

/**
 * Compares a state in a checkpoint (`saved`) with the job's declaration of
 * the same name: the kind and the serializer must be the same; another
 * version needs the job to declare a migration from it (to a higher version).
 */
export function compareStateMetadata(saved: StateMetadata, declared: StateMetadata): StateFit {
  if (saved.kind !== declared.kind) {
    return { fits: false, reason: `the kind changed from ${saved.kind} to ${declared.kind}: a state keeps its kind; keep the ${saved.kind} state descriptor, or give the new state another name` };
  }
  if (saved.serializer !== declared.serializer) {
    return {
      fits: false,
      reason: `the serializer changed from ${saved.serializer} to ${declared.serializer}: values written as ${saved.serializer} cannot be read as ${declared.serializer}; keep serializer '${saved.serializer}', or give the state another name`,
    };
  }
  if (saved.version === declared.version) return { fits: true, migrates: false };
  if (declared.version < saved.version) {
    return { fits: false, reason: `the savepoint holds version ${saved.version}, newer than the job's version ${declared.version}: restore it with the job that wrote it, or from an older savepoint` };
  }
  if (declared.migrates === true) return { fits: true, migrates: true };
  return {
    fits: false,
    reason: `the version changed from ${saved.version} to ${declared.version} without a migration: give the descriptor migrate: (value, fromVersion) => newValue, or keep version ${saved.version}`,
  };
}

/** The message of a state that does not fit: the operator, the state, what the savepoint has, what the job declares and what to do. */
export function stateMigrationMessage(operatorUid: string, saved: StateMetadata, declared: StateMetadata, reason: string): string {
  return `operator '${operatorUid}', state '${saved.name}': the checkpoint has ${describeStateMetadata(saved)}, the job declares ${describeStateMetadata(declared)}; ${reason}`;
}
