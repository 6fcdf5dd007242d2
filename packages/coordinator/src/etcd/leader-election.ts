// The coordinators' leader election (Flink: the leader election service):
// campaigning on etcd3's election recipe, confirming a win, stepping down and
// campaigning again. Holding a term is in `won-term.ts`; reading who leads
// is `observeLeader` of @weir/protocol/etcd.
import { EventEmitter } from 'node:events';
import { ClientClosedError, EtcdLeaseInvalidError, isRecoverableError, type Campaign, type Election } from 'etcd3';
import { ValidationError } from '@weir/common';
import { backoffDelayMs, createLogger, RepeatedWarning, sleep, type Logger } from '@weir/protocol';
import { campaignLeaseId, DEFAULT_LEADER_TTL_SECONDS, LEADER_ELECTION_NAME, observeLeader, type EtcdClient, type EtcdKeys } from '@weir/protocol/etcd';
import { NotLeaderError, type LeaderFence } from './etcd-errors.ts';
import { holdTerm, renewLease, waitElected, type WonTerm, type TermTiming } from './won-term.ts';

const CONFIRM_ATTEMPTS = 3;

/** How a coordinator takes part in the leader election. */
export interface LeaderElectionOptions {
  /** A client from `createEtcdClient` (deadlines on every call matter here). */
  client: EtcdClient;
  keys: EtcdKeys;
  /** What this coordinator publishes while it leads: the address clients and workers should use (e.g. `10.0.0.7:7600`). */
  address: string;
  /** Lease TTL of the leader key, whole seconds, at least 2. Default 5. */
  ttlSeconds?: number;
  /** Pause before campaigning again after a failed campaign or a lost leadership. Default 500 ms. */
  retryDelayMs?: number;
  logger?: Logger;
}

/** Events of a `LeaderElection`. */
export interface LeaderElectionEvents {
  /** This coordinator leads, from now until 'deposed'. Guard writes with this fence. */
  elected: [fence: LeaderFence];
  /** This coordinator stopped leading (resigned, lease lost, or etcd unreachable for too long). Stop acting as the leader now. */
  deposed: [reason: string];
  /** The published address of the current leader changed (`undefined`: no leader right now). */
  leaderChanged: [address: string | undefined];
}

/**
 * One coordinator's part in the leader election (Flink: the leader election
 * service), on etcd3's election recipe with a short lease.
 *
 * After `start()` it campaigns with `address` as its value until `resign()` /
 * `close()`. When it wins it confirms its key, emits 'elected', and from then
 * on renews the lease itself every TTL/4 (besides etcd3's own keep-alive),
 * noting each time until when etcd cannot have expired it (send time + TTL).
 * It emits 'deposed' and stops leading as soon as
 *
 * - that time (minus a margin) passes without a confirmed renewal (etcd
 *   unreachable or frozen: the lease may expire, and a standby may lead);
 * - etcd says the lease is gone, or the leader key was deleted (watched);
 * - etcd3 reports the campaign's lease lost; or `resign()` is called.
 *
 * It then drops the old campaign (revoking its lease if etcd answers, so
 * standbys take over at once) and campaigns again with a new lease: leadership
 * never resumes with stale state. `isLeader` and `fence()` consult the clock,
 * so they turn false on time even if a timer fires late. The guarded writes
 * of `EtcdMetadataStore` are the real protection: a deposed leader's writes
 * fail in etcd even if it has not noticed yet.
 */
export class LeaderElection extends EventEmitter<LeaderElectionEvents> {
  private readonly client: EtcdClient;
  private readonly address: string;
  private readonly ttlSeconds: number;
  private readonly retryDelayMs: number;
  private readonly timing: TermTiming;
  private readonly election: Election;
  private readonly keys: EtcdKeys;
  private readonly logger: Logger;
  private term: WonTerm | null = null;
  private campaigning: AbortController | null = null;
  private campaignLoop: Promise<void> = Promise.resolve();
  private observing: AbortController | null = null;
  private observeLoop: Promise<void> = Promise.resolve();
  private currentLeader: string | undefined;

  constructor(options: LeaderElectionOptions) {
    super();
    const ttl = options.ttlSeconds ?? DEFAULT_LEADER_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 2) {
      throw new ValidationError(`invalid leader lease TTL ${ttl} s: it must be a whole number of seconds, at least 2 (etcd with default settings grants no lease shorter than 2 s anyway)`);
    }
    this.client = options.client;
    this.address = options.address;
    this.keys = options.keys;
    this.ttlSeconds = ttl;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.timing = { ttlSeconds: ttl, renewIntervalMs: (ttl * 1000) / 4, safetyMarginMs: Math.min(500, (ttl * 1000) / 5) };
    this.election = options.client.namespace(options.keys.leaderNamespace).election(LEADER_ELECTION_NAME, ttl);
    this.logger = options.logger ?? createLogger('leader-election', { address: options.address });
  }

  /** Starts campaigning (and observing who leads). Does nothing if already campaigning. */
  start(): void {
    if (!this.observing) {
      this.observing = new AbortController();
      this.observeLoop = observeLeader({
        client: this.client,
        keys: this.keys,
        onLeader: (address) => this.setLeader(address),
        signal: this.observing.signal,
        retryDelayMs: this.retryDelayMs,
        logger: this.logger,
      });
    }
    if (this.campaigning) return;
    this.campaigning = new AbortController();
    this.campaignLoop = this.campaign(this.campaigning.signal);
  }

  /** Whether this coordinator leads right now (false once its lease may have expired, even before 'deposed' is emitted). */
  get isLeader(): boolean {
    return this.term !== null && performance.now() < this.term.validUntil;
  }

  /**
   * The leader key and its create revision, for writes guarded with
   * `createRevision(key) == createRevision`.
   * @throws NotLeaderError when this coordinator does not lead.
   */
  fence(): LeaderFence {
    const term = this.term;
    if (term === null) throw new NotLeaderError('it does not hold the leader key');
    if (performance.now() >= term.validUntil) throw new NotLeaderError(`etcd has not confirmed its leader lease within the ${this.ttlSeconds} s TTL`, term.fence);
    return term.fence;
  }

  /** The address the current leader published (this one's own while it leads), as last observed; `undefined` when there is none or it is not known yet. */
  leaderAddress(): string | undefined {
    return this.currentLeader;
  }

  /**
   * Stops leading ('deposed' is emitted first, so nothing acts as leader any
   * more) and stops campaigning; revokes the lease so a standby takes over
   * at once. `start()` campaigns again.
   */
  async resign(): Promise<void> {
    this.campaigning?.abort();
    this.campaigning = null;
    await this.campaignLoop;
  }

  /** Resigns and stops observing the leader. */
  async close(): Promise<void> {
    await this.resign();
    this.observing?.abort();
    this.observing = null;
    await this.observeLoop;
  }

  private async campaign(signal: AbortSignal): Promise<void> {
    let failures = 0;
    const failing = new RepeatedWarning(this.logger, 'campaign failed; campaigning again');
    while (!signal.aborted) {
      const campaign = this.election.campaign(this.address);
      let campaignError: Error | undefined;
      // etcd3 may emit 'error' at any time, also after we dropped the campaign: never leave it unheard.
      campaign.on('error', (error) => {
        campaignError ??= error;
      });
      let reason = 'resigned';
      try {
        await waitElected(campaign, signal);
        if (signal.aborted) break;
        const term = await this.confirm(campaign, signal);
        if (signal.aborted) break;
        if (campaignError) throw campaignError;
        this.term = term;
        failures = 0;
        failing.reset();
        this.logger.info({ key: term.fence.key, createRevision: term.fence.createRevision, ttlSeconds: this.ttlSeconds }, 'elected leader');
        this.emit('elected', term.fence);
        reason = await holdTerm(this.client, term, campaign, signal, this.timing, this.logger);
      } catch (error) {
        if (signal.aborted) break;
        reason = (error as Error).message;
        if (error instanceof ClientClosedError || campaignError instanceof ClientClosedError) {
          this.logger.warn({ err: reason }, 'the etcd client was closed: no longer campaigning');
          return;
        }
        failures++;
        failing.warn({ err: reason, failures });
      } finally {
        this.stepDown(reason);
        if (signal.aborted) {
          await campaign.resign().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not revoke the leader lease; it expires on its own'));
        } else {
          this.abandon(campaign);
        }
      }
      // Back off while etcd keeps failing (500 ms doubling to 2 s by default), so a long outage is not a busy loop.
      await sleep(backoffDelayMs(Math.max(0, failures - 1), this.retryDelayMs, Math.max(this.retryDelayMs, 2_000)), signal);
    }
  }

  /**
   * Drops a campaign that failed or lost its term: etcd3's keep-alive stops at
   * once (resign closes the lease before revoking it). If the revoke fails
   * (etcd away), it is retried every 250 ms for up to a minute, or until
   * `close()`: etcd extends every lease when it restarts, so an old key left
   * behind would keep everyone, this coordinator too, from leading for
   * another TTL.
   */
  private abandon(campaign: Campaign): void {
    const stop = this.observing?.signal;
    campaign.resign().catch(async () => {
      const key = await campaign.getCampaignKey().catch(() => null);
      if (key === null) return;
      const leaseId = campaignLeaseId(key);
      const giveUpAt = performance.now() + 60_000;
      while (performance.now() < giveUpAt && !stop?.aborted) {
        await sleep(250, stop);
        try {
          await this.client.leaseClient.leaseRevoke({ ID: leaseId });
          this.logger.info({ key }, 'revoked the lease of an abandoned campaign');
          return;
        } catch (error) {
          if (error instanceof EtcdLeaseInvalidError || error instanceof ClientClosedError) return;
        }
      }
    });
  }

  /** Confirms a won campaign, retrying a transient etcd failure a few times rather than throwing away the win. */
  private async confirm(campaign: Campaign, signal: AbortSignal): Promise<WonTerm> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.confirmOnce(campaign);
      } catch (error) {
        if (!(error instanceof Error && isRecoverableError(error)) || attempt >= CONFIRM_ATTEMPTS || signal.aborted) throw error;
        this.logger.warn({ err: error.message, attempt }, 'could not confirm the won election yet; trying again');
        await sleep(100, signal);
      }
    }
  }

  /** Reads back the key the campaign won with and renews its lease once, so the term starts confirmed. */
  private async confirmOnce(campaign: Campaign): Promise<WonTerm> {
    const key = await campaign.getCampaignKey();
    const [read, renewal] = await Promise.all([this.client.get(key).exec(), (async () => {
      const sentAt = performance.now();
      return { sentAt, ttl: await renewLease(this.client, campaignLeaseId(key), this.timing) };
    })()]);
    const kv = read.kvs[0];
    if (kv === undefined) throw new Error(`the campaign key ${key} is gone (its lease expired while waiting to be elected)`);
    if (renewal.ttl <= 0) throw new Error(`the lease of the campaign key ${key} expired`);
    return {
      fence: { key, createRevision: kv.create_revision },
      leaseId: kv.lease,
      validUntil: renewal.sentAt + renewal.ttl * 1000 - this.timing.safetyMarginMs,
    };
  }

  private stepDown(reason: string): void {
    const term = this.term;
    if (term === null) return;
    this.term = null;
    this.logger.warn({ key: term.fence.key, reason }, 'no longer the leader');
    this.emit('deposed', reason);
  }

  private setLeader(address: string | undefined): void {
    if (address === this.currentLeader) return;
    this.currentLeader = address;
    this.emit('leaderChanged', address);
  }
}

