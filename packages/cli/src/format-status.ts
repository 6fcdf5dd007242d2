import type { CheckpointView, ClusterView, JobStatusView, JobSummary__Output } from '@weir/protocol';
import { formatCounters, formatSources } from './format-sources.ts';
import { table } from './format-table.ts';

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Busy, backpressured and idle time in % (of each second), e.g. `12/85/3`; `-` when not reported. */
function timeShares(s: JobStatusView['vertices'][number]['subtasks'][number]): string {
  if (s.busyTimeMsPerSecond === undefined || s.backPressuredTimeMsPerSecond === undefined || s.idleTimeMsPerSecond === undefined) return '-';
  const pct = (ms: number): number => Math.round(ms / 10);
  return `${pct(s.busyTimeMsPerSecond)}/${pct(s.backPressuredTimeMsPerSecond)}/${pct(s.idleTimeMsPerSecond)}`;
}

/** A job's status as text: per vertex and subtask, state, worker and record counts. */
export function formatJobStatus(view: JobStatusView): string {
  const end = view.endTimeMs ?? Date.now();
  const lines = [
    `Job ${view.jobId} '${view.name}': ${view.status}`,
    `  attempt ${view.attempt}, restarts ${view.restarts}${view.restartStrategy ? ` (restart strategy ${view.restartStrategy})` : ''}, running time ${duration(end - view.startTimeMs)}`,
    '',
  ];
  const eventTime = view.vertices.some((v) => v.subtasks.some((s) => s.inputWatermark !== undefined));
  const rows = [['VERTEX', 'PARALLELISM', 'SUBTASK', 'STATE', 'WORKER', 'RECORDS IN', 'RECORDS OUT', 'BUSY/BP/IDLE', 'DEAD LETTERS', ...(eventTime ? ['WATERMARK'] : [])]];
  for (const v of view.vertices) {
    for (const s of v.subtasks) {
      const watermark = s.inputWatermark === undefined ? '-' : s.inputWatermark === null ? 'none yet' : new Date(s.inputWatermark).toISOString();
      rows.push([
        s.index === 0 ? v.name : '',
        s.index === 0 ? String(v.parallelism) : '',
        String(s.index),
        s.state,
        s.workerId ?? '-',
        String(s.recordsIn),
        String(s.recordsOut),
        timeShares(s),
        String(s.deadLetters),
        ...(eventTime ? [watermark] : []),
      ]);
    }
  }
  lines.push(table(rows), ...formatSources(view), ...formatCounters(view));
  if (view.deadLetters > 0) lines.push('', `Dead letters: ${view.deadLetters}${view.deadLetterDir ? ` (in ${view.deadLetterDir})` : ''}`);
  if (view.error) lines.push('', view.status === 'FAILED' ? 'Failure:' : 'Latest failure:', ...view.error.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
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
