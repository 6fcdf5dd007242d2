// Slot sharing (Flink's SlotSharingGroup): which vertices of a job share
// slots, and how many slots the job needs for it.
import type { JobGraph, JobVertex } from './job-graph.ts';
import { topologicalVertices } from './job-graph.ts';

/** The slot sharing group of every vertex that names none. */
export const DEFAULT_SLOT_SHARING_GROUP = 'default';

/** The slot sharing group a vertex belongs to. */
export function slotSharingGroupOf(vertex: JobVertex): string {
  return vertex.slotSharingGroup ?? DEFAULT_SLOT_SHARING_GROUP;
}

/** The slots one slot sharing group of a job needs: its highest parallelism. */
export interface SlotSharingGroupRequirement {
  name: string;
  slots: number;
}

/** The slots a job needs: one per subtask index in each slot sharing group. */
export interface SlotRequirements {
  /** In the order the groups first appear, sources first. */
  groups: SlotSharingGroupRequirement[];
  /** The sum over the groups. */
  total: number;
}

/**
 * The slots a job needs: subtask i of every vertex of a slot sharing group
 * runs in the group's i-th slot, so a group needs as many slots as its
 * highest parallelism, and the job the sum over its groups.
 */
export function slotRequirements(graph: JobGraph): SlotRequirements {
  const slots = new Map<string, number>();
  for (const vertex of topologicalVertices(graph)) {
    const group = slotSharingGroupOf(vertex);
    slots.set(group, Math.max(slots.get(group) ?? 0, vertex.parallelism));
  }
  const groups = [...slots].map(([name, n]) => ({ name, slots: n }));
  return { groups, total: groups.reduce((n, g) => n + g.slots, 0) };
}

/** How the requirements read in messages: `4 slots (slot sharing groups 'default': 2, 'heavy': 2)`. */
export function describeSlotRequirements(requirements: SlotRequirements): string {
  const groups = requirements.groups.map((g) => `'${g.name}': ${g.slots}`).join(', ');
  return `${requirements.total} slot${requirements.total === 1 ? '' : 's'} (slot sharing group${requirements.groups.length === 1 ? '' : 's'} ${groups})`;
}
