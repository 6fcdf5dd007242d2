// The string keys that name subtasks: within a job graph
// (`<vertexId>#<subtaskIndex>`) and within one attempt of a job
// (`<jobId>/<attempt>/<vertexId>#<subtaskIndex>`). Every process builds
// them here, so maps keyed by them agree across coordinator and workers.
// A shared slot of one attempt is `<jobId>/<attempt>/<group>@<index>`: subtask
// `index` of every vertex of slot sharing group `group` runs in it.

/** `<vertexId>#<subtaskIndex>`: one subtask of a job graph, in any attempt (placements, checkpoint acknowledgements, assignments in etcd). */
export function subtaskId(vertexId: string, subtaskIndex: number): string {
  return `${vertexId}#${subtaskIndex}`;
}

/** `<jobId>/<attempt>/`: what every `attemptSubtaskKey` of that attempt starts with. */
export function attemptKeyPrefix(jobId: string, attempt: number): string {
  return `${jobId}/${attempt}/`;
}

/** `<jobId>/<attempt>/<vertexId>#<subtaskIndex>`: one subtask of one attempt of a job (executions, occupied slots, a worker's running subtasks and their metrics). */
export function attemptSubtaskKey(jobId: string, attempt: number, vertexId: string, subtaskIndex: number): string {
  return attemptKeyPrefix(jobId, attempt) + subtaskId(vertexId, subtaskIndex);
}

/** `<jobId>/<attempt>/<slotSharingGroup>@<index>`: the shared slot of one attempt in which subtask `index` of every vertex of the group runs (occupied slots, a worker's slots in use). */
export function attemptSlotKey(jobId: string, attempt: number, slotSharingGroup: string, subtaskIndex: number): string {
  return `${attemptKeyPrefix(jobId, attempt)}${slotSharingGroup}@${subtaskIndex}`;
}
