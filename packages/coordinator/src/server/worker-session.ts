// The JobManager service's WorkerSession stream: a worker registers, then
// sends heartbeats, subtask states and checkpoint acknowledgements, which go
// to the worker registry and the jobs' JobMasters. Owns the open sessions.
import type { grpc} from '@weir/protocol';
import { subtaskCheckpointAckSchema, subtaskId, type CoordinatorMessage, type Logger, type WorkerMessage__Output } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import type { Term } from '../leader-term.ts';
import type { RegisteredWorker, WorkerRegistry } from '../resource-manager/worker-registry.ts';

/** What worker sessions are served from. */
export interface WorkerSessionHost {
  coordinatorId: string;
  logger: Logger;
  /** The worker registry of the current term. */
  registry: () => WorkerRegistry;
  /** The current term, null while standing by (a session is refused, or ended when its term is over). */
  term: () => Term | null;
  /** The error a standby answers with. */
  notLeader: () => Error & { code: grpc.status; metadata?: grpc.Metadata };
  dispatcher: Dispatcher;
}

/** The open worker sessions, by the registration each made. */
export class WorkerSessions {
  private readonly host: WorkerSessionHost;
  /** Open worker sessions by the registration they made, with a function that ends each. */
  private readonly sessions = new Map<RegisteredWorker, () => void>();

  constructor(host: WorkerSessionHost) {
    this.host = host;
  }

  /**
   * The registry lost `workerId`: a registration replaced or timed out ends
   * its session, so the worker cancels its tasks and registers again.
   */
  endReplaced(workerId: string): void {
    for (const [entry, end] of this.sessions) {
      if (entry.workerId === workerId && this.host.registry().get(workerId) !== entry) {
        this.sessions.delete(entry);
        end();
      }
    }
  }

  /** Ends every session (this coordinator stopped leading): workers register with the next leader. */
  endAll(): void {
    for (const end of [...this.sessions.values()]) end();
    this.sessions.clear();
  }

  /** Serves one WorkerSession stream. */
  serve(call: grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>): void {
    const { host } = this;
    let worker: RegisteredWorker | undefined;
    let superseded = false;
    /** This session's registration, while it is still the registry's entry for the worker. */
    const current = (): RegisteredWorker | undefined => (worker && host.registry().get(worker.workerId) === worker ? worker : undefined);
    const closed = (reason: string): void => {
      if (worker) this.sessions.delete(worker);
      const live = current();
      if (live) host.registry().remove(live.workerId, reason);
      worker = undefined;
    };
    const term = host.term();
    if (!term) {
      const error = host.notLeader();
      call.emit('error', { code: error.code, details: error.message, metadata: error.metadata });
      return;
    }
    call.on('data', (message: WorkerMessage__Output) => {
      if (superseded) return;
      if (host.term() !== term) {
        superseded = true;
        call.end();
        return;
      }
      if (message.register) {
        if (worker) this.sessions.delete(worker);
        worker = host.registry().register(message.register);
        this.sessions.set(worker, () => {
          superseded = true;
          worker = undefined;
          call.end();
        });
        call.write({ registered: { coordinatorId: host.coordinatorId, leaderEpoch: term.epoch } });
        return;
      }
      if (!worker) {
        call.destroy(new Error('a worker session must start with a registration'));
        return;
      }
      const live = current();
      if (!live) return;
      if (message.heartbeat) {
        host.registry().heartbeat(live.workerId, message.heartbeat.metricsJson);
        for (const job of host.dispatcher.all()) job.onHeartbeat(live);
      } else if (message.taskState) {
        host.dispatcher.get(message.taskState.jobId)?.onTaskState(message.taskState, live);
      } else if (message.checkpointAck) {
        let json: unknown;
        try {
          json = JSON.parse(message.checkpointAck.ackJson);
        } catch {
          json = undefined;
        }
        const parsed = subtaskCheckpointAckSchema.safeParse(json);
        if (parsed.success) host.dispatcher.get(parsed.data.jobId)?.checkpoints.onAck(parsed.data);
        else host.logger.warn({ workerId: live.workerId }, 'malformed checkpoint acknowledgement ignored');
      } else if (message.checkpointDeclined) {
        const d = message.checkpointDeclined;
        host.dispatcher.get(d.jobId)?.checkpoints.onDecline(d.checkpointId, d.attempt, subtaskId(d.vertexId, d.subtaskIndex), d.reason);
      }
    });
    call.on('end', () => {
      closed('the worker ended its session');
      call.end();
    });
    call.on('error', (error) => closed(`the worker's session broke: ${error.message}`));
    call.on('cancelled', () => closed("the worker's session was cancelled"));
  }
}
