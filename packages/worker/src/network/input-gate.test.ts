import { FrameKind, type Frame } from '@weir/protocol';
import { describe, expect, it } from 'vitest';
import { InputGate, type InputChannel } from './input-gate.ts';

function frame(tag: number, kind: FrameKind = FrameKind.Records): Frame {
  // The watermark field tags frames so the tests can tell them apart.
  return { kind, payload: new Uint8Array(0), recordCount: 0, watermark: tag, checkpointId: 0 };
}

function setup(ids: string[]): { gate: InputGate; grants: [string, number][] } {
  const grants: [string, number][] = [];
  const gate = new InputGate((channel, credits) => grants.push([channel, credits]));
  ids.forEach((id, i) => gate.addChannel(id, i % 2));
  return { gate, grants };
}

/** take(), for tests that never wake the gate. */
async function takeFrame(gate: InputGate): Promise<{ channel: InputChannel; frame: Frame } | undefined> {
  const next = await gate.take();
  if (next === 'woken') throw new Error('the gate was not woken in this test');
  return next;
}

async function takeTags(gate: InputGate, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = await takeFrame(gate);
    out.push(next ? `${next.channel.id}:${next.frame.watermark}` : 'undefined');
  }
  return out;
}

describe('InputGate', () => {
  it('open() grants every channel its initial credits', () => {
    const { gate, grants } = setup(['a', 'b', 'c']);
    expect(gate.channelCount).toBe(3);
    expect(grants).toEqual([]);
    gate.open(4);
    expect(grants).toEqual([
      ['a', 4],
      ['b', 4],
      ['c', 4],
    ]);
  });

  it('release() grants one credit to the channel of the frame', async () => {
    const { gate, grants } = setup(['a', 'b']);
    gate.onFrame('b', frame(1));
    const next = await takeFrame(gate);
    expect(next!.channel.id).toBe('b');
    expect(next!.channel.inputIndex).toBe(1);
    gate.release(next!.channel);
    expect(grants).toEqual([['b', 1]]);
  });

  it('takes frames round-robin across channels', async () => {
    const { gate } = setup(['a', 'b', 'c']);
    for (let i = 1; i <= 3; i++) for (const id of ['a', 'b', 'c']) gate.onFrame(id, frame(i));
    expect(await takeTags(gate, 9)).toEqual(['a:1', 'b:1', 'c:1', 'a:2', 'b:2', 'c:2', 'a:3', 'b:3', 'c:3']);
  });

  it('skips empty channels and keeps rotating after them', async () => {
    const { gate } = setup(['a', 'b', 'c']);
    for (let i = 1; i <= 3; i++) gate.onFrame('a', frame(i));
    gate.onFrame('c', frame(1));
    gate.onFrame('c', frame(2));
    expect(await takeTags(gate, 5)).toEqual(['a:1', 'c:1', 'a:2', 'c:2', 'a:3']);
  });

  it('keeps frames of one channel in order', async () => {
    const { gate } = setup(['a']);
    for (let i = 0; i < 50; i++) gate.onFrame('a', frame(i));
    const tags = await takeTags(gate, 50);
    expect(tags).toEqual(Array.from({ length: 50 }, (_, i) => `a:${i}`));
  });

  it('take() waits for a frame and wakes when one arrives', async () => {
    const { gate } = setup(['a', 'b']);
    let result: string | undefined;
    const pending = takeFrame(gate).then((next) => {
      result = `${next!.channel.id}:${next!.frame.watermark}`;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(result).toBeUndefined();
    gate.onFrame('b', frame(9));
    await pending;
    expect(result).toBe('b:9');
  });

  it('drops frames of unknown channels (another attempt)', async () => {
    const { gate } = setup(['a']);
    gate.onFrame('old-attempt', frame(1));
    gate.onFrame('a', frame(2));
    expect(await takeTags(gate, 1)).toEqual(['a:2']);
  });

  it('returns end-of-partition frames to the task, and undefined once every channel has ended', async () => {
    const { gate } = setup(['a', 'b']);
    gate.onFrame('a', frame(1));
    gate.onFrame('a', frame(2, FrameKind.EndOfPartition));
    gate.onFrame('b', frame(3, FrameKind.EndOfPartition));
    const ends: string[] = [];
    for (;;) {
      const next = await takeFrame(gate);
      if (!next) break;
      if (next.frame.kind === FrameKind.EndOfPartition) {
        next.channel.ended = true; // as the StreamTask does
        ends.push(next.channel.id);
      }
    }
    expect(ends.sort()).toEqual(['a', 'b']);
    expect(await takeFrame(gate)).toBeUndefined();
  });

  it('skips ended channels even if frames are still queued on them', async () => {
    const { gate } = setup(['a', 'b']);
    gate.onFrame('a', frame(1));
    const first = await takeFrame(gate);
    first!.channel.ended = true;
    gate.onFrame('a', frame(2));
    gate.onFrame('b', frame(3));
    expect(await takeTags(gate, 1)).toEqual(['b:3']);
  });

  it('take() returns undefined at once for a gate without channels', async () => {
    const { gate } = setup([]);
    expect(await takeFrame(gate)).toBeUndefined();
  });

  it('close() wakes a waiting take() with undefined', async () => {
    const { gate } = setup(['a']);
    const pending = gate.take();
    await new Promise<void>((resolve) => setImmediate(resolve));
    gate.close();
    expect(await pending).toBeUndefined();
  });

  it('after close(), take() returns undefined even with frames queued', async () => {
    const { gate } = setup(['a']);
    gate.onFrame('a', frame(1));
    gate.close();
    expect(await takeFrame(gate)).toBeUndefined();
  });
});

describe('InputGate.interrupt', () => {
  it('makes a waiting take() return woken, once, and then frames flow again', async () => {
    const { gate } = setup(['a']);
    const waiting = gate.take();
    gate.interrupt();
    expect(await waiting).toBe('woken');
    gate.onFrame('a', frame(3));
    const next = await gate.take();
    expect(next !== 'woken' && next?.frame.watermark).toBe(3);
  });
});
