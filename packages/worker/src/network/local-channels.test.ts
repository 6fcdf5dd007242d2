import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { channelId, FrameKind, type Frame, type SubtaskLocation, type TaskDeployment } from '@weir/protocol';
import { subtaskAt, testTaskDeployment } from '../testing/task-deployment.ts';
import { consumerEnd } from './local-channel-port.ts';
import { LocalChannels } from './local-channels.ts';

const SELF = 'w1';
const at = (vertexId: string, workerId = SELF): SubtaskLocation => subtaskAt(vertexId, workerId);
const deployment = testTaskDeployment;

/** A producer `a` and a consumer `b` of one channel, both on this worker, in attempt `token`. */
function pair(token: string): { producer: TaskDeployment; consumer: TaskDeployment; channel: string } {
  return {
    producer: deployment('a', token, [], [at('b')]),
    consumer: deployment('b', token, [at('a')], []),
    channel: channelId('job-1', token, 'a', 0, 'b', 0),
  };
}

/**
 * A slot thread stand-in running the producer's end of the real module:
 * once it has two credits it sends one frame and reports them.
 */
function producerThread(): Worker {
  const module = new URL('./local-channel-port.ts', import.meta.url).href;
  return new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(({ producerEnd }) => {
      parentPort.once('message', ({ port }) => {
        const credits = [];
        const send = producerEnd(port, (n) => {
          credits.push(n);
          if (credits.length !== 2) return;
          const payload = new Uint8Array([7, 8, 9]);
          send('ch', { kind: 0, payload, recordCount: 1, watermark: 0, checkpointId: 0 });
          parentPort.postMessage({ credits, detached: payload.byteLength === 0 });
        });
      });
    });`,
    { eval: true, workerData: { module } },
  );
}

const open: (MessagePort | Worker)[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) {
    if (item instanceof Worker) await item.terminate();
    else item.close();
  }
});

describe('LocalChannels', () => {
  it('hands out ends only for channels whose other end is on this worker', () => {
    const channels = new LocalChannels(SELF);
    const d = deployment('b', 't1', [at('a'), at('r', 'w2')], [at('c'), at('s', 'w2')]);
    const ends = channels.take(d, {});
    open.push(...ends.map((e) => e.port));
    expect(ends.map((e) => e.channel).sort()).toEqual([channelId('job-1', 't1', 'a', 0, 'b', 0), channelId('job-1', 't1', 'b', 0, 'c', 0)].sort());
    // Both partners are not deployed yet: their ends wait.
    expect(channels.waitingCount).toBe(2);
  });

  it('gives the two subtasks of a channel the two ends of one port, whichever is deployed first', async () => {
    const channels = new LocalChannels(SELF);
    const { producer, consumer, channel } = pair('t1');
    const consumerOwner = {};
    const [consumerSide] = channels.take(consumer, consumerOwner);
    open.push(consumerSide!.port);
    expect(consumerSide!.channel).toBe(channel);
    // The consumer grants its initial credits before the producer is deployed: they wait in the producer's end.
    const frames: Frame[] = [];
    const grant = consumerEnd(consumerSide!.port, (frame) => frames.push(frame));
    grant(8);
    grant(1);
    const [producerSide] = channels.take(producer, {});
    expect(channels.waitingCount).toBe(0);
    const thread = producerThread();
    open.push(thread);
    thread.postMessage({ port: producerSide!.port }, [producerSide!.port]);
    const [report] = (await once(thread, 'message')) as [{ credits: number[]; detached: boolean }];
    // Nothing was lost while the end waited; the frame's buffer moved, it was not copied.
    expect(report.credits).toEqual([8, 1]);
    expect(report.detached).toBe(true);
    await eventually(() => frames.length === 1);
    expect(frames[0]!.kind).toBe(FrameKind.Records);
    expect([...frames[0]!.payload]).toEqual([7, 8, 9]);
  });

  it('closes an end still waiting once the subtask holding the other end has ended', async () => {
    const channels = new LocalChannels(SELF);
    const { consumer } = pair('t1');
    const owner = {};
    const [end] = channels.take(consumer, owner);
    open.push(end!.port);
    const closed = once(end!.port, 'close');
    channels.release({}); // another subtask: nothing happens
    expect(channels.waitingCount).toBe(1);
    channels.release(owner);
    expect(channels.waitingCount).toBe(0);
    await closed;
  });

  it('closes the waiting ends of a released job', async () => {
    const channels = new LocalChannels(SELF);
    const [end] = channels.take(pair('t1').producer, {});
    open.push(end!.port);
    const closed = once(end!.port, 'close');
    channels.releaseJob('job-2');
    expect(channels.waitingCount).toBe(1);
    channels.releaseJob('job-1');
    await closed;
  });

  it('keeps attempts apart: what an old attempt sends never reaches the new one', async () => {
    const channels = new LocalChannels(SELF);
    const old = pair('t1');
    const next = pair('t2');
    const [oldConsumer] = channels.take(old.consumer, {});
    const [newConsumer] = channels.take(next.consumer, {});
    const [oldProducer] = channels.take(old.producer, {});
    const [newProducer] = channels.take(next.producer, {});
    open.push(oldConsumer!.port, newConsumer!.port, oldProducer!.port, newProducer!.port);
    const received: string[] = [];
    newConsumer!.port.on('message', (m: string) => received.push(m));
    oldConsumer!.port.on('message', () => {});
    oldProducer!.port.postMessage('old');
    newProducer!.port.postMessage('new');
    await eventually(() => received.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toEqual(['new']);
  });

  it('lets the other end notice a terminated slot thread: its port closes', async () => {
    const channels = new LocalChannels(SELF);
    const { producer, consumer } = pair('t1');
    const [consumerSide] = channels.take(consumer, {});
    const [producerSide] = channels.take(producer, {});
    open.push(consumerSide!.port);
    const thread = producerThread();
    thread.postMessage({ port: producerSide!.port }, [producerSide!.port]);
    consumerSide!.port.on('message', () => {});
    const closed = once(consumerSide!.port, 'close');
    await thread.terminate();
    await closed;
    // Sending to a closed channel is dropped, not an error.
    expect(() => consumerSide!.port.postMessage(1)).not.toThrow();
  });

  it('closes every waiting end on close()', async () => {
    const channels = new LocalChannels(SELF);
    const [end] = channels.take(pair('t1').consumer, {});
    const closed = once(end!.port, 'close');
    channels.close();
    await closed;
    expect(channels.waitingCount).toBe(0);
  });
});

describe('MessagePort', () => {
  it('delivers what was sent before the other end closed', async () => {
    const { port1, port2 } = new MessageChannel();
    const got: number[] = [];
    port2.on('message', (n: number) => got.push(n));
    for (let i = 0; i < 5; i++) port1.postMessage(i);
    port1.close();
    await once(port2, 'close');
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });
});

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
