// The main thread's part in local channels (both ends on this worker): it
// makes one MessageChannel per channel and hands each end to its subtask's
// slot thread at deployment. Frames and credits then go thread to thread.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { channelId, channelJob, type TaskDeployment } from '@weir/protocol';
import type { LocalChannelPort } from './local-channel-port.ts';

/** The end of a channel whose subtask is not deployed yet, and who took the other end. */
interface WaitingEnd {
  readonly port: MessagePort;
  readonly owner: object;
}

/**
 * Local channels of this worker. Whichever subtask of a channel is deployed
 * first gets one end; the main thread keeps the other until the second
 * subtask is deployed, and what the first one sends meanwhile (the
 * consumer's initial credits) waits in that end and moves with it. Channel
 * ids name the attempt, so a new attempt gets new channels and nothing of an
 * old one reaches it. An end still waiting is closed once the subtask that
 * took the other end has ended, or the job is released.
 */
export class LocalChannels {
  private readonly selfId: string;
  /** Channel -> the end kept for the subtask not deployed yet. */
  private readonly waiting = new Map<string, WaitingEnd>();

  /** `selfId`: this worker's id, as deployments name it. */
  constructor(selfId: string) {
    this.selfId = selfId;
  }

  /**
   * The ends of `d`'s channels to subtasks of this worker, to transfer with
   * its deployment. `owner`: the subtask's handle, for `release`.
   */
  take(d: TaskDeployment, owner: object): LocalChannelPort[] {
    const ends: LocalChannelPort[] = [];
    for (const out of d.outputs) {
      for (const c of out.consumers) {
        if (c.workerId !== this.selfId) continue;
        const channel = channelId(d.jobId, d.attemptToken, d.vertexId, d.subtaskIndex, c.vertexId, c.subtaskIndex, out.edgeTag);
        if (!ends.some((e) => e.channel === channel)) ends.push({ channel, port: this.end(channel, owner) });
      }
    }
    for (const input of d.inputs) {
      for (const p of input.producers) {
        if (p.workerId !== this.selfId) continue;
        const channel = channelId(d.jobId, d.attemptToken, p.vertexId, p.subtaskIndex, d.vertexId, d.subtaskIndex, input.edgeTag);
        if (!ends.some((e) => e.channel === channel)) ends.push({ channel, port: this.end(channel, owner) });
      }
    }
    return ends;
  }

  /** The subtask `owner` has ended: ends kept for its partners are closed (nothing will come on them). */
  release(owner: object): void {
    for (const [channel, end] of this.waiting) {
      if (end.owner !== owner) continue;
      this.waiting.delete(channel);
      end.port.close();
    }
  }

  /** Closes the waiting ends of a job's channels. */
  releaseJob(jobId: string): void {
    for (const [channel, end] of this.waiting) {
      if (channelJob(channel) !== jobId) continue;
      this.waiting.delete(channel);
      end.port.close();
    }
  }

  /** Ends kept for subtasks not deployed yet (for tests and logs). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  close(): void {
    for (const end of this.waiting.values()) end.port.close();
    this.waiting.clear();
  }

  private end(channel: string, owner: object): MessagePort {
    const waiting = this.waiting.get(channel);
    if (waiting) {
      this.waiting.delete(channel);
      return waiting.port;
    }
    const { port1, port2 } = new MessageChannel();
    this.waiting.set(channel, { port: port2, owner });
    return port1;
  }
}
