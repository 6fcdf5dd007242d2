import { afterEach, describe, expect, it } from 'vitest';
import { channelId, CREDIT_KIND, createLogger, FrameKind, rootLogger, type ExchangeMessage__Output, type Frame, type TaskDeployment } from '@weir/protocol';
import type { SubtaskThread } from '../task-executor/subtask-thread.ts';
import { subtaskAt, testTaskDeployment } from '../testing/task-deployment.ts';
import { ChannelRouter } from './channel-router.ts';
import { EXCHANGE_LIMITS, exchangeMessageProblem } from './exchange-limits.ts';

/** A slot thread as the router sees it: what it was handed. */
function thread(deployment: TaskDeployment): SubtaskThread & { frames: Frame[]; credits: number[]; failures: string[] } {
  const t = { deployment, frames: [] as Frame[], credits: [] as number[], failures: [] as string[] };
  return Object.assign(t, {
    postFrame: (_channel: string, frame: Frame) => t.frames.push(frame),
    postCredit: (_channel: string, credits: number) => t.credits.push(credits),
    fail: (reason: string) => t.failures.push(reason),
  }) as unknown as SubtaskThread & typeof t;
}

function message(fields: Partial<ExchangeMessage__Output>): ExchangeMessage__Output {
  return { channel: 'c', kind: FrameKind.Records, payload: Buffer.alloc(0), recordCount: 0, watermark: 0, checkpointId: 0, credits: 0, ...fields };
}

let router: ChannelRouter | undefined;
afterEach(() => router?.close());

function newRouter(): ChannelRouter {
  rootLogger().level = 'silent';
  router = new ChannelRouter('w1', createLogger('test'), () => undefined);
  return router;
}

describe('exchangeMessageProblem', () => {
  it('names the field of a malformed message', () => {
    expect(exchangeMessageProblem(message({ kind: 77 }))).toMatch(/^kind: 77 is no frame kind/);
    expect(exchangeMessageProblem(message({ kind: CREDIT_KIND, credits: 0 }))).toMatch(/^credits: a grant carries 1 to 4096/);
    expect(exchangeMessageProblem(message({ kind: CREDIT_KIND, credits: EXCHANGE_LIMITS.maxCreditsPerGrant + 1 }))).toMatch(/^credits:/);
    expect(exchangeMessageProblem(message({ channel: '' }))).toMatch(/^channel:/);
    expect(exchangeMessageProblem(message({ kind: FrameKind.Barrier, payload: Buffer.alloc(3) }))).toMatch(/^payload: only a Records frame/);
    expect(exchangeMessageProblem(message({ payload: Buffer.alloc(EXCHANGE_LIMITS.maxFramePayloadBytes + 1) }))).toMatch(/^payload: \d+ bytes, more than/);
    expect(exchangeMessageProblem(message({ payload: Buffer.alloc(10), recordCount: 1 }))).toBeUndefined();
    expect(exchangeMessageProblem(message({ kind: CREDIT_KIND, credits: 8 }))).toBeUndefined();
  });
});

describe('ChannelRouter', () => {
  it('hands a peer frames only against the credit its consumer granted, and fails the consumer on a frame beyond it', () => {
    const r = newRouter();
    const consumer = thread(testTaskDeployment('b', 't1', [subtaskAt('a', 'w2')], []));
    r.register(consumer);
    const channel = channelId('job-1', 't1', 'a', 0, 'b', 0);
    r.creditFromThread(channel, 2);
    r.fromPeer(message({ channel, kind: 77 }));
    r.fromPeer(message({ channel, payload: Buffer.alloc(4), recordCount: 1 }));
    r.fromPeer(message({ channel, kind: FrameKind.Watermark, watermark: 5 }));
    expect(consumer.frames.map((f) => f.kind)).toEqual([FrameKind.Records, FrameKind.Watermark]);
    expect(consumer.failures).toEqual([]);
    r.fromPeer(message({ channel, payload: Buffer.alloc(4), recordCount: 1 }));
    expect(consumer.frames).toHaveLength(2);
    expect(consumer.failures).toEqual([expect.stringMatching(/sent a frame on channel .* without credit, which breaks the credit protocol/)]);
    // The channel is given up: nothing more reaches the consumer on it.
    r.fromPeer(message({ channel, payload: Buffer.alloc(4), recordCount: 1 }));
    expect(consumer.frames).toHaveLength(2);
  });

  it('keeps credits for producers not deployed yet, bounded per channel and in number of channels', () => {
    const r = newRouter();
    const early = channelId('job-1', 't1', 'a', 0, 'b', 0);
    r.fromPeer(message({ channel: early, kind: CREDIT_KIND, credits: 4000 }));
    r.fromPeer(message({ channel: early, kind: CREDIT_KIND, credits: 4000 }));
    for (let i = 0; i < EXCHANGE_LIMITS.maxPendingCreditChannels + 10; i++) r.fromPeer(message({ channel: `job-1/t1/x#${i}>b#0`, kind: CREDIT_KIND, credits: 1 }));
    const producer = thread(testTaskDeployment('a', 't1', [], [subtaskAt('b', 'w2')]));
    r.register(producer);
    expect(producer.credits).toEqual([EXCHANGE_LIMITS.maxPendingCreditsPerChannel]);
    // A channel within the limit got its credit kept; one that came after the limit was reached got nothing.
    const kept = thread({ ...testTaskDeployment('x', 't1', [], [subtaskAt('b', 'w2')]), subtaskIndex: 3 });
    r.register(kept);
    expect(kept.credits).toEqual([1]);
    const late = thread({ ...testTaskDeployment('x', 't1', [], [subtaskAt('b', 'w2')]), subtaskIndex: EXCHANGE_LIMITS.maxPendingCreditChannels + 5 });
    r.register(late);
    expect(late.credits).toEqual([]);
  });
});
