// The cluster overview: workers and slots, the coordinators and who leads,
// and the job list.
import { api, type JobSummary, type Overview, type WorkerView } from './api.ts';
import { duration, el, replace, table, time } from './dom.ts';

function card(label: string, value: string | number, testId: string): HTMLElement {
  return el('div', { class: 'card', 'data-testid': testId }, el('div', { class: 'card-value' }, value), el('div', { class: 'card-label' }, label));
}

function coordinators(overview: Overview): HTMLElement {
  const l = overview.leadership;
  const rows = l
    ? [{ address: l.leader.address, role: 'leader', epoch: l.epoch }, ...l.standbys.map((s) => ({ address: s.address, role: 'standby', epoch: '' }))]
    : [{ address: overview.address, role: 'leader (single coordinator)', epoch: '' }];
  return table(['coordinator', 'role', 'epoch'], rows, (r) => [r.address, r.role, r.epoch], { 'data-testid': 'coordinators' });
}

function workers(list: WorkerView[]): HTMLElement {
  return table(
    ['worker', 'address', 'host', 'pid', 'slots', 'free', 'last heartbeat'],
    list,
    (w) => [w.workerId, w.address, w.host, w.pid, w.slots, w.freeSlots, time(w.lastHeartbeatMs)],
    { 'data-testid': 'workers' },
  );
}

function jobs(list: JobSummary[]): HTMLElement {
  const sorted = [...list].sort((a, b) => b.startTimeMs - a.startTimeMs);
  return table(
    ['job', 'id', 'status', 'started', 'duration'],
    sorted,
    (j) => [
      el('a', { href: `#/jobs/${j.jobId}`, 'data-testid': 'job-link' }, j.name),
      el('code', {}, j.jobId),
      el('span', { class: `status status-${j.status.toLowerCase()}` }, j.status),
      time(j.startTimeMs),
      duration((j.endTimeMs ?? Date.now()) - j.startTimeMs),
    ],
    { 'data-testid': 'jobs' },
  );
}

/** Renders the overview into `page`. */
export async function renderOverview(page: HTMLElement): Promise<void> {
  const [overview, workerList, jobList] = await Promise.all([api.overview(), api.workers(), api.jobs()]);
  replace(
    page,
    el(
      'section',
      { class: 'cards' },
      card('workers', overview.workers, 'workers-count'),
      card('slots free / total', `${overview.slotsAvailable} / ${overview.slotsTotal}`, 'slots'),
      card('running jobs', overview.jobsRunning, 'running-jobs'),
      card('finished', overview.jobsFinished, 'finished-jobs'),
      card('cancelled', overview.jobsCancelled, 'cancelled-jobs'),
      card('failed', overview.jobsFailed, 'failed-jobs'),
    ),
    el('h2', {}, 'Jobs'),
    jobs(jobList),
    el('h2', {}, 'Coordinators'),
    coordinators(overview),
    el('h2', {}, 'Workers'),
    workers(workerList),
  );
}
