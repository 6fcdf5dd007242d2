import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { channelId, decodeRecordFrame, FrameKind, type Frame } from '@weir/protocol';
import { subtaskAt, testTaskDeployment } from '../testing/task-deployment.ts';
import { InputGate } from './input-gate.ts';
import { consumerEnd, producerEnd, type LocalChannelPort } from './local-channel-port.ts';
import { LocalChannels } from './local-channels.ts';
import { wireTaskChannels } from './task-channels.ts';
import { TaskOutput } from './task-output.ts';

const noFunctions = (id: string): never => {
  throw new Error(`no function ${id}`);
};

const ports: LocalChannelPort[] = [];
afterEach(() => {
  for (const { port } of ports.splice(0)) port.close();
});

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Producer `a` -> consumer `b` on worker w1, and `a` -> `r` on worker w2, wired as their slot threads wire them. */
function wired(): {
  output: TaskOutput;
  gate: InputGate;
  viaMain: { frames: { channel: string; frame: Frame }[]; credits: { channel: string; credits: number }[] };
  local: string;
  remote: string;
} {
  const channels = new LocalChannels('w1');
  const producer = testTaskDeployment('a', 't1', [], [subtaskAt('b', 'w1'), subtaskAt('r', 'w2')]);
  const consumer = testTaskDeployment('b', 't1', [subtaskAt('a', 'w1')], []);
  const viaMain = { frames: [] as { channel: string; frame: Frame }[], credits: [] as { channel: string; credits: number }[] };
  const output = new TaskOutput((channel, frame) => viaMain.frames.push({ channel, frame }));
  const gate = new InputGate((channel, credits) => viaMain.credits.push({ channel, credits }));
  const producerEnds = channels.take(producer, {});
  const consumerEnds = channels.take(consumer, {});
  ports.push(...producerEnds, ...consumerEnds);
  wireTaskChannels(producer, output, new InputGate(() => {}), producerEnds, noFunctions);
  wireTaskChannels(consumer, new TaskOutput(() => {}), gate, consumerEnds, noFunctions);
  return { output, gate, viaMain, local: channelId('job-1', 't1', 'a', 0, 'b', 0), remote: channelId('job-1', 't1', 'a', 0, 'r', 0) };
}

describe('wireTaskChannels', () => {
  it('sends a local channel over its port under the same credits, and a remote one through the main thread', async () => {
    const { output, gate, viaMain, local, remote } = wired();
    gate.open(2);
    // The remote consumer grants its credits through the main thread.
    output.onCredit(remote, 10);
    // Rebalance: records alternate between the two channels; one frame per flush and channel.
    for (let frame = 0; frame < 3; frame++) {
      output.emit(`local-${frame}`);
      output.emit(`remote-${frame}`);
      output.flushAll();
    }
    // Only the consumer's two credits went out for the local channel: the third frame waits at the producer.
    await eventually(() => output.backlogFrames() === 1);
    expect(output.isAvailable()).toBe(false);
    expect(viaMain.credits).toEqual([]);
    expect(viaMain.frames.map((f) => f.channel)).toEqual([remote, remote, remote]);

    const received: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await gate.take();
      if (!next || next === 'woken') throw new Error('expected a frame');
      expect(next.channel.id).toBe(local);
      received.push(...decodeRecordFrame(next.frame.payload).records);
      // Done with it: the producer may send one more.
      gate.release(next.channel);
    }
    await output.available();
    const last = await gate.take();
    if (!last || last === 'woken') throw new Error('expected a frame');
    received.push(...decodeRecordFrame(last.frame.payload).records);
    expect(received).toEqual(['local-0', 'local-1', 'local-2']);
    expect(viaMain.credits).toEqual([]);
  });

  it('moves a frame buffer to the consumer instead of copying it', async () => {
    const { port1, port2 } = new MessageChannel();
    ports.push({ channel: 'c', port: port1 }, { channel: 'c', port: port2 });
    const frames: Frame[] = [];
    consumerEnd(port2, (frame) => frames.push(frame));
    const send = producerEnd(port1, () => {});
    const payload = new Uint8Array([1, 2, 3]);
    send('c', { kind: FrameKind.Records, payload, recordCount: 1, watermark: 0, checkpointId: 0 });
    expect(payload.byteLength).toBe(0);
    await eventually(() => frames.length === 1);
    expect([...frames[0]!.payload]).toEqual([1, 2, 3]);
  });
});
