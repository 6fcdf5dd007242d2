// Holding a won leader term: renewing its lease, stepping down on time when
// etcd stops confirming it, watching the leader key; and waiting for a
// campaign to be elected.
import type { Campaign, Watcher } from 'etcd3';
import { RepeatedWarning, type Logger } from '@weir/protocol';
import type { EtcdClient } from '@weir/protocol/etcd';
import type { LeaderFence } from './etcd-errors.ts';

/** One won term of a `LeaderElection`. */
export interface WonTerm {
  fence: LeaderFence;
  leaseId: string;
  /** `performance.now()` before which etcd cannot have expired the lease (minus a safety margin). */
  validUntil: number;
}

/** The lease timing of an election. */
export interface TermTiming {
  ttlSeconds: number;
  /** How often the leader renews its lease itself (TTL/4). */
  renewIntervalMs: number;
  /** Subtracted from every proven lease end, against clock skew and slow timers. */
  safetyMarginMs: number;
}

/** One keep-alive of the lease; the TTL etcd granted (<= 0: the lease is gone). */
export async function renewLease(client: EtcdClient, leaseId: string, timing: TermTiming): Promise<number> {
  const stream = await client.leaseClient.leaseKeepAlive({ deadline: Date.now() + timing.renewIntervalMs * 2 });
  try {
    // The listeners stay for the stream's life: a later error (after end) settles nothing and crashes nothing.
    const response = await new Promise<{ TTL: string }>((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
      stream.write({ ID: leaseId });
    });
    return Number(response.TTL);
  } finally {
    stream.end();
  }
}

/**
 * Keeps the term confirmed until it ends; resolves with the reason it ended:
 * renews the lease every `renewIntervalMs` (each confirmed renewal sent at `t`
 * proves the lease lives until `t + TTL`), and ends the term when that time
 * (minus the margin) passes unconfirmed, when etcd says the lease is gone,
 * when the leader key is deleted (watched), when etcd3 reports the campaign's
 * lease lost, or when `signal` aborts (resigned).
 */
export function holdTerm(client: EtcdClient, term: WonTerm, campaign: Campaign, signal: AbortSignal, timing: TermTiming, logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let ended = false;
    let renewing = false;
    let deadline: NodeJS.Timeout | undefined;
    const renewFailed = new RepeatedWarning(logger, 'could not renew the leader lease');
    const watchFailed = new RepeatedWarning(logger, 'watching the leader key failed; relying on lease renewals');
    const renewer = setInterval(() => void renew(), timing.renewIntervalMs);
    const watcher: Watcher = client.watch().key(term.fence.key).startRevision(term.fence.createRevision).only('delete').watcher();
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      clearInterval(renewer);
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      campaign.off('error', onCampaignError);
      void watcher.cancel().catch(() => undefined);
      resolve(reason);
    };
    const onAbort = (): void => end('resigned');
    const onCampaignError = (error: Error): void => end(`etcd3 reported the leader lease lost: ${error.message}`);
    const armDeadline = (): void => {
      if (ended) return;
      clearTimeout(deadline);
      deadline = setTimeout(() => {
        if (performance.now() >= term.validUntil) {
          end(`etcd has not confirmed the leader lease for ${timing.ttlSeconds * 1000 - timing.safetyMarginMs} ms (TTL ${timing.ttlSeconds} s): it may have expired`);
        } else armDeadline();
      }, Math.max(0, term.validUntil - performance.now()));
    };
    const renew = async (): Promise<void> => {
      if (renewing || ended) return;
      renewing = true;
      const sentAt = performance.now();
      try {
        const ttl = await renewLease(client, term.leaseId, timing);
        if (ttl <= 0) return end('etcd says the leader lease expired');
        term.validUntil = Math.max(term.validUntil, sentAt + ttl * 1000 - timing.safetyMarginMs);
        renewFailed.reset();
        armDeadline();
      } catch (error) {
        if (!ended) renewFailed.warn({ err: (error as Error).message, msLeft: Math.round(term.validUntil - performance.now()) });
      } finally {
        renewing = false;
      }
    };
    watcher.on('delete', () => end('the leader key was deleted'));
    watcher.on('error', (error) => watchFailed.warn({ err: error.message }));
    signal.addEventListener('abort', onAbort, { once: true });
    campaign.on('error', onCampaignError);
    armDeadline();
    // resign() may have been called by an 'elected' listener, before the abort listener existed.
    if (signal.aborted) end('resigned');
  });
}

/** Resolves when the campaign is elected or `signal` aborts; rejects with the campaign's error. */
export function waitElected(campaign: Campaign, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      campaign.off('elected', onElected);
      campaign.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onElected = (): void => {
      done();
      resolve();
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    const onAbort = (): void => {
      done();
      resolve();
    };
    campaign.on('elected', onElected);
    campaign.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
