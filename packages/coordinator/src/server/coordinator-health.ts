// The coordinator's grpc.health.v1 status (overall and weir.v1.JobManager):
// SERVING while it leads with its jobs loaded, or stands by in touch with
// etcd and knowing the leader (it answers clients with the leader's address
// and serves job code); NOT_SERVING while it loads the jobs after an
// election, cannot reach etcd, or no leader is known. Looked at every second
// and at once when leadership changes. NOT_SERVING too while the checkpoint
// storage cannot be used (the coordinator logs why).
import { JOB_MANAGER_SERVICE_NAME, ServingHealth, type grpc } from '@weir/protocol';

/** How long a standby's etcd read may take before it counts as etcd being out of reach. */
const ETCD_READ_TIMEOUT_MS = 2_000;

/** What the coordinator's health is judged from. */
export interface CoordinatorHealthHost {
  /** Leading with its jobs loaded (always true without etcd once the jobs are recovered). */
  leadingAndReady: () => boolean;
  /** Why the checkpoint storage cannot be used, while it cannot (then NOT_SERVING, leader or not). */
  storageProblem: () => string | undefined;
  /** Leading but still loading the jobs after an election. */
  loading: () => boolean;
  /** etcd mode: the current leader as read from etcd now (undefined: none); null without etcd. */
  readLeader: (() => Promise<string | undefined>) | null;
}

/** Serves and keeps up to date the coordinator's health. */
export class CoordinatorHealth {
  private readonly health = new ServingHealth([JOB_MANAGER_SERVICE_NAME]);
  private readonly host: CoordinatorHealthHost;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly intervalMs: number;

  constructor(host: CoordinatorHealthHost, intervalMs = 1_000) {
    this.host = host;
    this.intervalMs = intervalMs;
  }

  /** Adds grpc.health.v1.Health to `server` and starts judging. */
  start(server: grpc.Server): void {
    this.health.addToServer(server);
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  /** Judges the health now (e.g. leadership changed). */
  refresh(): Promise<void> {
    this.checking ??= this.judge().then(
      (serving) => this.health.set(serving),
      () => this.health.set(false),
    ).finally(() => (this.checking = undefined));
    return this.checking;
  }

  /** Whether it reports SERVING now (the plaintext /readyz probe answers the same). */
  get serving(): boolean {
    return this.health.serving;
  }

  /** Stops judging and reports NOT_SERVING (the coordinator is stopping). */
  stop(): void {
    clearInterval(this.timer);
    this.health.set(false);
  }

  private async judge(): Promise<boolean> {
    const { host } = this;
    if (host.storageProblem() !== undefined) return false;
    if (host.leadingAndReady()) return true;
    if (host.loading() || !host.readLeader) return false;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timeout = setTimeout(() => resolve(undefined), ETCD_READ_TIMEOUT_MS)));
    try {
      return (await Promise.race([host.readLeader(), timedOut])) !== undefined;
    } finally {
      clearTimeout(timeout);
    }
  }
}
