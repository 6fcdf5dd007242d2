// Deployment of an attempt (Flink's TaskDeploymentDescriptorFactory): turns a
// placement of subtasks on workers into one TaskDeployment per subtask, with
// its inputs, outputs, peers and the state to restore.
import { slotSharingGroupOf } from '@weir/common';
import { attemptSlotKey, subtaskId, type TaskDeployment } from '@weir/protocol';
import type { S3Settings } from '@weir/protocol/storage';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-coordinator.ts';
import type { RegisteredWorker } from '../resource-manager/worker-registry.ts';
import type { ExecutionGraph } from '../scheduler/execution-graph.ts';
import { restoreSpecFor } from '../scheduler/state-assignment.ts';
import type { JobRecord } from './job-record.ts';

/** What one attempt is deployed from. */
export interface AttemptDeployment {
  record: JobRecord;
  graph: ExecutionGraph;
  /** The worker of each subtask, by `<vertexId>#<subtaskIndex>` (from `assignSlots`). */
  placement: Map<string, RegisteredWorker>;
  /** The checkpoint (or savepoint) the attempt restores, if any. */
  latest: CompletedCheckpoint | null;
  checkpointDir: string;
  /** How workers reach the checkpoint storage when it is on S3. */
  s3: S3Settings;
}

/**
 * Puts every execution of the attempt on its worker (DEPLOYING, its shared
 * slot occupied) and builds its TaskDeployment. Returns the deployments grouped by
 * worker, as the JSON that DeployTasks carries.
 */
export function buildTaskDeployments({ record, graph, placement, latest, checkpointDir, s3 }: AttemptDeployment): Map<RegisteredWorker, string[]> {
  const byWorker = new Map<RegisteredWorker, string[]>();
  const peers: Record<string, string> = {};
  for (const worker of placement.values()) peers[worker.workerId] = worker.address;
  const location = (vertexId: string, index: number) => ({ vertexId, subtaskIndex: index, workerId: placement.get(subtaskId(vertexId, index))!.workerId });
  const g = record.graph;
  // The n-th edge between the same two vertices (n > 0) tags its channels with n.
  const edgeTags = new Map<(typeof g.edges)[number], number>();
  const seen = new Map<string, number>();
  for (const edge of g.edges) {
    const pair = `${edge.source}>${edge.target}`;
    const n = seen.get(pair) ?? 0;
    seen.set(pair, n + 1);
    if (n > 0) edgeTags.set(edge, n);
  }
  const tagOf = (edge: (typeof g.edges)[number]) => (edgeTags.has(edge) ? { edgeTag: edgeTags.get(edge)! } : {});
  for (const vertex of g.vertices) {
    const inEdges = g.edges.filter((e) => e.target === vertex.id);
    const outEdges = g.edges.filter((e) => e.source === vertex.id);
    const slotSharingGroup = slotSharingGroupOf(vertex);
    for (let i = 0; i < vertex.parallelism; i++) {
      const worker = placement.get(subtaskId(vertex.id, i))!;
      const execution = graph.get(vertex.id, i)!;
      execution.workerId = worker.workerId;
      execution.state = 'DEPLOYING';
      // Subtask i of every vertex of the group shares the group's i-th slot.
      worker.occupied.occupy(execution.key, attemptSlotKey(record.jobId, graph.attempt, slotSharingGroup, i));
      const deployment: TaskDeployment = {
        jobId: record.jobId,
        jobName: record.name,
        attempt: graph.attempt,
        attemptToken: graph.attemptToken,
        vertexId: vertex.id,
        vertexName: vertex.name,
        subtaskIndex: i,
        parallelism: vertex.parallelism,
        maxParallelism: vertex.maxParallelism,
        slotSharingGroup,
        operators: vertex.operators,
        inputs: inEdges.map((edge) => {
          const source = g.vertices.find((v) => v.id === edge.source)!;
          const indices = edge.partitioning === 'forward' ? [i] : Array.from({ length: source.parallelism }, (_, k) => k);
          return {
            inputIndex: edge.inputIndex ?? 0,
            ...(edge.keySelector ? { keySelector: edge.keySelector } : {}),
            producers: indices.map((k) => location(source.id, k)),
            ...tagOf(edge),
          };
        }),
        outputs: outEdges.map((edge) => {
          const target = g.vertices.find((v) => v.id === edge.target)!;
          const indices = edge.partitioning === 'forward' ? [i] : Array.from({ length: target.parallelism }, (_, k) => k);
          return {
            partitioning: edge.partitioning,
            ...(edge.keySelector ? { keySelector: edge.keySelector } : {}),
            ...(edge.sideOutput ? { sideOutput: edge.sideOutput } : {}),
            maxParallelism: target.maxParallelism,
            consumers: indices.map((k) => location(target.id, k)),
            ...tagOf(edge),
          };
        }),
        config: g.config,
        args: record.args,
        peers,
        checkpointDir,
        s3,
        restore: latest ? restoreSpecFor(latest.metadata, latest.directory, vertex, i) : null,
      };
      const list = byWorker.get(worker) ?? [];
      list.push(JSON.stringify(deployment));
      byWorker.set(worker, list);
    }
  }
  return byWorker;
}
