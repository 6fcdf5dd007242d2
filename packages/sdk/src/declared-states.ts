// The states a keyed function declares up front: `states` on the function
// object, or `{ states }` given with it. They travel with the operator (as
// its `states` function, for the workers' migrations) and into the JobGraph
// as metadata, which a restore checks against the savepoint before any record flows.
import { stateMetadataOf, ValidationError, type StateDescriptorSpec, type StateMetadata } from '@weir/common';

/** Options of the operations whose functions have keyed state: `keyed.process(fn, { states })`. */
export interface KeyedFunctionOptions {
  /** The state descriptors the function uses, declared up front (see {@link DeclaresStates}). */
  readonly states?: readonly StateDescriptorSpec[];
}

const KEYED_KINDS = new Set(['value', 'list', 'map', 'reducing', 'aggregating']);

/**
 * The declared descriptors of `operation`: those of `options.states`, else of
 * `fn.states`; undefined when none are declared.
 * @throws ValidationError for something that is not a list of state descriptors, or two states of one name.
 */
export function declaredStates(operation: string, fn: unknown, options: KeyedFunctionOptions | undefined): readonly StateDescriptorSpec[] | undefined {
  const states = options?.states ?? (typeof fn === 'object' && fn !== null ? (fn as { states?: unknown }).states : undefined);
  if (states === undefined) return undefined;
  if (!Array.isArray(states)) throw new ValidationError(`${operation}: states must be an array of state descriptors, e.g. [new ValueStateDescriptor('count', 0)]`);
  const names = new Set<string>();
  for (const state of states as unknown[]) {
    const d = state as Partial<StateDescriptorSpec> | null;
    if (typeof d !== 'object' || d === null || typeof d.name !== 'string' || !KEYED_KINDS.has(d.kind as string)) {
      throw new ValidationError(`${operation}: states holds ${JSON.stringify(state)}, which is not a state descriptor: declare ValueStateDescriptor, ListStateDescriptor, ... objects`);
    }
    if (names.has(d.name)) throw new ValidationError(`${operation}: two declared states are named '${d.name}': give each state its own name`);
    names.add(d.name);
  }
  return states as readonly StateDescriptorSpec[];
}

/** The metadata of declared descriptors, as the JobGraph carries them. */
export function declaredStateMetadata(states: readonly StateDescriptorSpec[] | undefined): StateMetadata[] | undefined {
  return states?.map(stateMetadataOf);
}
