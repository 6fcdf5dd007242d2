// `weir status --watch`: polls the job and shows the status table of
// format-status.ts under a line with its restarts and latest checkpoint,
// redrawn in place on a terminal, or as plain lines (each refresh under a
// timestamped line) when stdout is not a terminal. Ends when the job ends
// (after showing its final state) or on Ctrl-C.
import { isTerminalJobStatus, sleep, type CheckpointView, type JobStatusView } from '@weir/protocol';
import type { WeirClient } from '@weir/client';
import { formatJobStatus } from './format-status.ts';
import { formatWatchHeader } from './format-watch.ts';

/** Where and how often to show the job. */
export interface StatusWatchOptions {
  intervalMs: number;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** One JSON object per refresh (the status view and the checkpoints), one a line. */
  json?: boolean;
  /** The table with one row per subtask (`--wide`). */
  wide?: boolean;
  /** Resolves when the watch should stop early (Ctrl-C). */
  stopped?: Promise<void>;
}

/** Cursor home, then each line cleared to its end, then the rest of the screen cleared: a redraw without flicker. */
function inPlace(text: string): string {
  return `\x1b[H${text.split('\n').map((line) => `${line}\x1b[K`).join('\n')}\n\x1b[J`;
}

/** What one refresh shows: on a terminal a whole screen, else plain lines ending with a blank one. */
export function renderWatch(view: JobStatusView, checkpoints: readonly CheckpointView[], nowMs: number, tty: boolean, wide = false): string {
  const stamp = new Date(nowMs).toISOString();
  const header = formatWatchHeader(view, checkpoints, nowMs);
  const status = formatJobStatus(view, { wide });
  if (tty) return inPlace([`${stamp}  (Ctrl-C stops watching; the job keeps running)`, header, '', status].join('\n'));
  return `${stamp} ${header}\n${status}\n\n`;
}

/** Shows the job every `intervalMs` until it ends or `stopped` resolves; resolves with its last view. */
export async function watchStatus(client: WeirClient, jobId: string, options: StatusWatchOptions): Promise<JobStatusView> {
  const tty = options.out.isTTY === true && !options.json;
  let stop = false;
  void options.stopped?.then(() => (stop = true));
  if (tty) options.out.write('\x1b[?25l\x1b[2J');
  try {
    for (;;) {
      const [view, checkpoints] = await Promise.all([client.status(jobId), client.checkpoints(jobId)]);
      const now = Date.now();
      options.out.write(options.json ? JSON.stringify({ timeMs: now, job: view, checkpoints }) + '\n' : renderWatch(view, checkpoints, now, tty, options.wide));
      if (isTerminalJobStatus(view.status) || stop) return view;
      await Promise.race([sleep(options.intervalMs), options.stopped]);
      if (stop) return view;
    }
  } finally {
    if (tty) options.out.write('\x1b[?25h');
  }
}
