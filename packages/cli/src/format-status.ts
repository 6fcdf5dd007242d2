import type { CheckpointView, ClusterView, JobStatusView, JobSummary__Output } from '@weir/protocol';
import { formatCounters, formatSources } from './format-sources.ts';
import { table } from './format-table.ts';
import { formatSubtaskTable, formatVertexTable } from './format-vertices.ts';

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h}h ${m}m ${s % 60}s` : `${m}m ${s % 60}s`;
}

/** How `weir status` lays a job out. */
export interface JobStatusFormat {
  /** One row per subtask with worker, exact counts and full timestamps (`--wide`); else one row per vertex, within 120 columns. */
  wide?: boolean;
}

/** A job's status as text: its vertices (or, wide, every subtask), its sources, counters, dead letters and any failure. */
export function formatJobStatus(view: JobStatusView, format: JobStatusFormat = {}): string {
  const wide = format.wide ?? false;
  const end = view.endTimeMs ?? Date.now();
  const lines = [
    `Job ${view.jobId} '${view.name}': ${view.status}`,
    `  attempt ${view.attempt}, restarts ${view.restarts}${view.restartStrategy ? ` (restart strategy ${view.restartStrategy})` : ''}, running time ${duration(end - view.startTimeMs)}`,
    '',
  ];
  lines.push(wide ? formatSubtaskTable(view) : formatVertexTable(view), ...formatSources(view, wide), ...formatCounters(view), ...formatSlotRequest(view));
  if (view.deadLetters > 0) lines.push('', `Dead letters: ${view.deadLetters}${view.deadLetterDir ? ` (in ${view.deadLetterDir})` : ''}`);
  if (view.error) lines.push('', view.status === 'FAILED' ? 'Failure:' : 'Latest failure:', ...view.error.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}

/** While the job waits for slots: what it needs, what the cluster has, and whether and when it fails. */
function formatSlotRequest(view: JobStatusView): string[] {
  const r = view.slotRequest;
  if (!r) return [];
  const groups = r.groups.map((g) => `'${g.name}' ${g.slots}`).join(', ');
  const lines = [
    '',
    `Waiting for slots since ${duration(Date.now() - r.waitingSinceMs)}: the job needs ${r.slotsNeeded} (per slot sharing group: ${groups}); the cluster has ${r.freeSlots} free of ${r.totalSlots} on ${r.workers} worker${r.workers === 1 ? '' : 's'}`,
  ];
  if (r.failsAtMs !== null) {
    lines.push(`  the cluster has fewer slots than the job needs: the job fails in ${duration(Math.max(0, r.failsAtMs - Date.now()))} (slot request timeout ${duration(r.timeoutMs)}) unless workers join`);
  } else {
    lines.push('  other jobs (or the previous attempt) hold the slots it needs: it starts when they are free');
  }
  return lines;
}

export function formatJobList(jobs: JobSummary__Output[]): string {
  if (jobs.length === 0) return 'No jobs.';
  const rows = [['JOB ID', 'NAME', 'STATUS', 'STARTED']];
  for (const j of jobs) rows.push([j.jobId, j.name, j.status, new Date(j.startTimeMs).toISOString()]);
  return table(rows);
}

export function formatCluster(view: ClusterView): string {
  const lines = [`Coordinator ${view.coordinatorId} at ${view.address}`, ''];
  const l = view.leadership;
  if (l) {
    lines[0] = `Cluster '${l.clusterId}' (etcd, leader lease ${l.leaseTtlSeconds} s)`;
    lines.splice(1, 0, `  leader   ${l.leader.address} (coordinator ${view.coordinatorId}, epoch ${l.epoch})`);
    for (const s of l.standbys) lines.splice(lines.length - 1, 0, `  standby  ${s.address}`);
    if (l.standbys.length === 0) lines.splice(lines.length - 1, 0, '  no standby coordinators');
  }
  if (view.workers.length === 0) return [...lines, 'No workers registered.'].join('\n');
  const rows = [['WORKER', 'ADDRESS', 'PID', 'SLOTS', 'FREE', 'LAST HEARTBEAT']];
  for (const w of view.workers) {
    const heartbeat = w.connected === false ? 'not connected (registered in etcd)' : `${Date.now() - w.lastHeartbeatMs} ms ago`;
    rows.push([w.workerId, w.address, String(w.pid), String(w.slots), w.connected === false ? '-' : String(w.freeSlots), heartbeat]);
  }
  return [...lines, table(rows)].join('\n');
}

export function formatCheckpoints(views: CheckpointView[]): string {
  if (views.length === 0) return 'No checkpoints yet.';
  const rows = [['ID', 'STATUS', 'KIND', 'TRIGGERED', 'DURATION', 'SIZE', 'WRITTEN', 'ALIGNMENT', 'SYNC', 'ASYNC', 'PATH / FAILURE']];
  for (const v of views) {
    rows.push([
      String(v.checkpointId),
      v.status,
      v.savepoint ? 'savepoint' : 'checkpoint',
      v.triggeredAtMs ? new Date(v.triggeredAtMs).toISOString() : '-',
      v.durationMs === null ? '-' : duration(v.durationMs),
      `${(v.bytes / 1024).toFixed(1)} KiB`,
      `${(v.incrementalBytes / 1024).toFixed(1)} KiB`,
      `${Math.round(v.alignmentMsMax)} ms`,
      `${Math.round(v.syncMsMax)} ms`,
      `${Math.round(v.asyncMsMax)} ms`,
      v.failure ?? v.path ?? '',
    ]);
  }
  return table(rows);
}
