// The JobManager service's WorkerSession stream: a worker registers, then
// sends heartbeats, subtask states and checkpoint acknowledgements, which go
// to the worker registry and the jobs' JobMasters. Owns the open sessions.
import { grpc, RepeatedWarning, type CoordinatorMessage, type Logger, type WorkerMessage__Output } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import type { Term } from '../leader-term.ts';
import type { RegisteredWorker, WorkerRegistry } from '../resource-manager/worker-registry.ts';
import { parseMessage, registerWorkerSchema } from './worker-message-schemas.ts';
import { handleWorkerMessage } from './worker-messages.ts';

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
    /** Messages that fail validation or are not this worker's to send: dropped, logged at a bounded rate. */
    const rejected = new RepeatedWarning(host.logger, 'ignored a worker message that is malformed or not the worker\'s to send');
    /** Ends the session with an error the worker sees (status and details). */
    const refuse = (code: grpc.status, details: string): void => {
      superseded = true;
      closed(`its session was refused: ${details}`);
      call.emit('error', { code, details });
    };
    call.on('data', (message: WorkerMessage__Output) => {
      if (superseded) return;
      if (host.term() !== term) {
        superseded = true;
        call.end();
        return;
      }
      if (message.register) {
        let registration;
        try {
          registration = parseMessage('the worker registration', message.register, registerWorkerSchema);
        } catch (error) {
          host.logger.warn({ err: (error as Error).message }, 'refused a malformed worker registration');
          refuse(grpc.status.INVALID_ARGUMENT, (error as Error).message);
          return;
        }
        const existing = host.registry().get(registration.workerId);
        // The same worker reconnecting (its session broke before the coordinator noticed) comes from the same address.
        if (existing && existing !== worker && this.sessions.has(existing) && existing.address !== registration.address) {
          const details = `worker id ${registration.workerId} is registered already, with a live session from ${existing.address}; ` +
            'give every worker its own --worker-id (a restarted worker gets in once its old session ends or its heartbeats stop)';
          host.logger.warn({ workerId: registration.workerId, address: registration.address, registeredAddress: existing.address }, 'refused another WorkerSession for a registered worker id');
          refuse(grpc.status.ALREADY_EXISTS, details);
          return;
        }
        // A session is one worker's: registering as another id gives up the first one.
        if (worker && worker.workerId !== registration.workerId) closed(`its session registered as worker ${registration.workerId}`);
        if (worker) this.sessions.delete(worker);
        worker = host.registry().register(registration);
        this.sessions.set(worker, () => {
          superseded = true;
          worker = undefined;
          call.end();
        });
        call.write({ registered: { coordinatorId: host.coordinatorId, leaderEpoch: term.epoch } });
        return;
      }
      if (!worker) {
        refuse(grpc.status.FAILED_PRECONDITION, 'a worker session must start with a registration (RegisterWorker)');
        return;
      }
      const live = current();
      if (!live) return;
      try {
        handleWorkerMessage(message, live, host.registry(), host.dispatcher);
      } catch (error) {
        rejected.warn({ workerId: live.workerId, err: (error as Error).message });
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
