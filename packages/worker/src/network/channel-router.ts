import {
  channelId,
  channelJob,
  CREDIT_KIND,
  type ExchangeMessage__Output,
  type Frame,
  type FrameKind,
  type Logger,
  RepeatedWarning,
  type TaskDeployment,
} from '@weir/protocol';
import type { SubtaskThread } from '../task-executor/subtask-thread.ts';
import { EXCHANGE_LIMITS, exchangeMessageProblem } from './exchange-limits.ts';
import { PeerSender } from './peer-sender.ts';

/**
 * Routes the frames and credits of remote channels (the other end on another
 * worker): from a slot thread to that peer's data stream, and from peers to
 * the slot thread. A credit may arrive before its producer is deployed; it
 * waits here. Local channels do not pass here: their slot threads talk over a
 * MessagePort of their own (see LocalChannels).
 *
 * What peers send is checked first (`exchangeMessageProblem`, EXCHANGE_LIMITS):
 * a malformed message is dropped and logged; a frame beyond the credit the
 * consumer granted breaks the credit protocol and fails the consumer (its job
 * restarts from the latest checkpoint, so nothing is lost or duplicated).
 */
export class ChannelRouter {
  private readonly selfId: string;
  private readonly logger: Logger;
  private readonly consumers = new Map<string, SubtaskThread>();
  private readonly producers = new Map<string, SubtaskThread>();
  /** Channel -> peer address, for channels whose other end is on another worker. */
  private readonly remote = new Map<string, string>();
  private readonly pendingCredits = new Map<string, number>();
  /** Remote consumer channel -> credits its consumer granted that no frame has used yet. */
  private readonly unusedCredits = new Map<string, number>();
  private readonly dropped: RepeatedWarning;
  private readonly peers = new Map<string, PeerSender>();
  private readonly onPeerLost: (address: string, reason: string) => void;

  constructor(selfId: string, logger: Logger, onPeerLost: (address: string, reason: string) => void) {
    this.selfId = selfId;
    this.logger = logger;
    this.onPeerLost = onPeerLost;
    this.dropped = new RepeatedWarning(logger, 'dropped a message of a peer data stream');
  }

  register(thread: SubtaskThread): void {
    const d = thread.deployment;
    for (const out of d.outputs) {
      for (const c of out.consumers) {
        if (c.workerId === this.selfId) continue;
        const ch = channelId(d.jobId, d.attemptToken, d.vertexId, d.subtaskIndex, c.vertexId, c.subtaskIndex, out.edgeTag);
        this.producers.set(ch, thread);
        this.remote.set(ch, this.peerAddress(d, c.workerId));
        const pending = this.pendingCredits.get(ch);
        if (pending) {
          this.pendingCredits.delete(ch);
          thread.postCredit(ch, pending);
        }
      }
    }
    for (const input of d.inputs) {
      for (const p of input.producers) {
        if (p.workerId === this.selfId) continue;
        const ch = channelId(d.jobId, d.attemptToken, p.vertexId, p.subtaskIndex, d.vertexId, d.subtaskIndex, input.edgeTag);
        this.consumers.set(ch, thread);
        this.remote.set(ch, this.peerAddress(d, p.workerId));
      }
    }
  }

  unregister(thread: SubtaskThread): void {
    for (const map of [this.producers, this.consumers]) {
      for (const [ch, t] of map) {
        if (t !== thread) continue;
        map.delete(ch);
        this.remote.delete(ch);
        this.unusedCredits.delete(ch);
      }
    }
  }

  /** Threads with a channel to the given peer address. */
  threadsTalkingTo(address: string): Set<SubtaskThread> {
    const threads = new Set<SubtaskThread>();
    for (const [ch, addr] of this.remote) {
      if (addr !== address) continue;
      const t = this.producers.get(ch) ?? this.consumers.get(ch);
      if (t) threads.add(t);
    }
    return threads;
  }

  /** Forgets everything of a job (its channels, waiting credits). */
  releaseJob(jobId: string): void {
    for (const map of [this.remote, this.pendingCredits, this.unusedCredits]) {
      for (const ch of map.keys()) if (channelJob(ch) === jobId) map.delete(ch);
    }
  }

  /** A slot thread's frame on a remote channel: to the peer hosting the consumer. */
  frameFromThread(channel: string, frame: Frame): void {
    const address = this.remote.get(channel);
    if (address !== undefined && this.producers.has(channel)) {
      this.peer(address).send({
        channel,
        kind: frame.kind,
        payload: frame.payload,
        recordCount: frame.recordCount,
        watermark: frame.watermark,
        checkpointId: frame.checkpointId,
        credits: 0,
      });
    }
  }

  /** A slot thread's credit on a remote channel: to the peer hosting the producer. */
  creditFromThread(channel: string, credits: number): void {
    const address = this.remote.get(channel);
    if (address !== undefined && this.consumers.has(channel)) {
      this.unusedCredits.set(channel, (this.unusedCredits.get(channel) ?? 0) + credits);
      this.peer(address).send({ channel, kind: CREDIT_KIND, payload: new Uint8Array(0), recordCount: 0, watermark: 0, checkpointId: 0, credits });
    }
  }

  /** A message of a peer's Exchange stream: checked, then a credit for a producer here or a frame for a consumer here. */
  fromPeer(message: ExchangeMessage__Output): void {
    const problem = exchangeMessageProblem(message);
    if (problem !== undefined) {
      this.dropped.warn({ channel: String(message.channel).slice(0, 200), problem });
      return;
    }
    if (message.kind === CREDIT_KIND) {
      this.deliverCredit(message.channel, message.credits);
      return;
    }
    const consumer = this.consumers.get(message.channel);
    if (!consumer) return; // a frame of a cancelled or older attempt
    const unused = this.unusedCredits.get(message.channel) ?? 0;
    if (unused <= 0) {
      this.unusedCredits.delete(message.channel);
      this.consumers.delete(message.channel);
      this.logger.warn({ channel: message.channel }, 'a peer sent a frame without credit: failing the consumer');
      consumer.fail(`a peer sent a frame on channel ${message.channel} without credit, which breaks the credit protocol; the job restarts from its latest checkpoint (check what else sends to this worker's data port)`);
      return;
    }
    this.unusedCredits.set(message.channel, unused - 1);
    // Copy out of the gRPC message buffer into an owned buffer we can transfer.
    const payload = new Uint8Array(message.payload.byteLength);
    payload.set(message.payload);
    consumer.postFrame(message.channel, {
      kind: message.kind as FrameKind,
      payload,
      recordCount: message.recordCount,
      watermark: message.watermark,
      checkpointId: message.checkpointId,
    });
  }

  close(): void {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }

  private deliverCredit(channel: string, credits: number): void {
    const producer = this.producers.get(channel);
    if (producer) {
      producer.postCredit(channel, credits);
      return;
    }
    const pending = this.pendingCredits.get(channel);
    if (pending === undefined && this.pendingCredits.size >= EXCHANGE_LIMITS.maxPendingCreditChannels) {
      this.dropped.warn({ channel: channel.slice(0, 200), problem: `credits wait for ${this.pendingCredits.size} channels without a producer here already` });
      return;
    }
    this.pendingCredits.set(channel, Math.min(EXCHANGE_LIMITS.maxPendingCreditsPerChannel, (pending ?? 0) + credits));
  }

  private peer(address: string): PeerSender {
    let peer = this.peers.get(address);
    if (!peer || peer.isBroken) {
      peer = new PeerSender(address, this.logger, (addr, reason) => {
        this.peers.delete(addr);
        this.onPeerLost(addr, reason);
      });
      this.peers.set(address, peer);
    }
    return peer;
  }

  private peerAddress(d: TaskDeployment, workerId: string): string {
    const address = d.peers[workerId];
    if (!address) throw new Error(`deployment of ${d.vertexName} names worker ${workerId} without its address`);
    return address;
  }
}
