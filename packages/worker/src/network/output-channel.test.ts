import { decodeRecordFrame, decodeRecords, FrameKind, type Frame } from '@weir/protocol';
import { describe, expect, it } from 'vitest';
import { OutputChannel } from './output-channel.ts';

function capture(): { sent: { channel: string; frame: Frame }[]; channel: OutputChannel } {
  const sent: { channel: string; frame: Frame }[] = [];
  const channel = new OutputChannel('ch-1', (id, frame) => sent.push({ channel: id, frame }));
  return { sent, channel };
}

/** The records of each Records frame, and the kind of every other frame, in send order. */
function contents(sent: { frame: Frame }[]): unknown[] {
  return sent.map(({ frame }) => (frame.kind === FrameKind.Records ? decodeRecords(frame.payload) : `event:${frame.kind}`));
}

/** How many pushes until push() says the frame is full. */
function pushUntilFull(channel: OutputChannel, record: (i: number) => unknown, limit = 10_000): number {
  for (let i = 1; i <= limit; i++) if (channel.push(record(i))) return i;
  throw new Error('push() never reported a full frame');
}

describe('OutputChannel credit', () => {
  it('sends nothing before the receiver grants credit', () => {
    const { sent, channel } = capture();
    channel.push({ a: 1 });
    channel.flush();
    channel.push({ a: 2 });
    channel.flush();
    channel.event(FrameKind.EndOfPartition);
    expect(sent).toEqual([]);
    expect(channel.backlogFrames).toBe(3);
    expect(channel.pendingRecords).toBe(0);
  });

  it('drains the backlog in order, one frame per credit', () => {
    const { sent, channel } = capture();
    for (let f = 0; f < 5; f++) {
      channel.push(`r${f}`);
      channel.flush();
    }
    channel.event(FrameKind.Watermark, 1234);
    expect(channel.backlogFrames).toBe(6);

    channel.onCredit(1);
    expect(contents(sent)).toEqual([['r0']]);
    expect(channel.backlogFrames).toBe(5);

    channel.onCredit(3);
    expect(contents(sent)).toEqual([['r0'], ['r1'], ['r2'], ['r3']]);
    expect(channel.backlogFrames).toBe(2);

    channel.onCredit(10);
    expect(contents(sent)).toEqual([['r0'], ['r1'], ['r2'], ['r3'], ['r4'], `event:${FrameKind.Watermark}`]);
    expect(sent.at(-1)!.frame.watermark).toBe(1234);
    expect(channel.backlogFrames).toBe(0);
    expect(sent.every((s) => s.channel === 'ch-1')).toBe(true);
  });

  it('keeps unused credit for later frames, and sends directly while credit lasts', () => {
    const { sent, channel } = capture();
    channel.onCredit(2);
    expect(sent).toEqual([]);
    channel.push(1);
    channel.flush();
    expect(sent).toHaveLength(1);
    channel.push(2);
    channel.flush();
    expect(sent).toHaveLength(2);
    channel.push(3);
    channel.flush();
    expect(sent).toHaveLength(2);
    expect(channel.backlogFrames).toBe(1);
    channel.onCredit(1);
    expect(contents(sent)).toEqual([[1], [2], [3]]);
  });

  it('never overtakes the backlog when credit arrives and a new frame is flushed', () => {
    const { sent, channel } = capture();
    channel.push('old');
    channel.flush();
    channel.onCredit(1);
    channel.push('new');
    channel.flush();
    channel.onCredit(1);
    expect(contents(sent)).toEqual([['old'], ['new']]);
  });

  it('an empty flush sends nothing and uses no credit', () => {
    const { sent, channel } = capture();
    channel.onCredit(1);
    channel.flush();
    channel.flush();
    expect(sent).toEqual([]);
    channel.push('x');
    channel.flush();
    expect(contents(sent)).toEqual([['x']]);
  });
});

describe('OutputChannel frames', () => {
  it('packs the gathered records into one Records frame with an owned, transferable payload', () => {
    const { sent, channel } = capture();
    channel.onCredit(1);
    const records = [{ id: 1, name: 'a' }, { id: 2, name: 'b' }, 'text', 42];
    for (const r of records) channel.push(r);
    expect(channel.pendingRecords).toBe(4);
    channel.flush();
    expect(channel.pendingRecords).toBe(0);
    const frame = sent[0]!.frame;
    expect(frame.kind).toBe(FrameKind.Records);
    expect(frame.recordCount).toBe(4);
    expect(decodeRecords(frame.payload)).toEqual(records);
    // owned: the payload is its whole buffer, so transferring it moves nothing else
    expect(frame.payload.byteOffset).toBe(0);
    expect(frame.payload.buffer.byteLength).toBe(frame.payload.byteLength);
    expect(channel.recordsOut).toBe(4);
  });

  it('event() sends the records gathered before it first', () => {
    const { sent, channel } = capture();
    channel.onCredit(10);
    channel.push('a');
    channel.push('b');
    channel.event(FrameKind.Barrier, 0, 7);
    channel.push('c');
    channel.event(FrameKind.EndOfPartition);
    expect(contents(sent)).toEqual([['a', 'b'], `event:${FrameKind.Barrier}`, ['c'], `event:${FrameKind.EndOfPartition}`]);
    expect(sent[1]!.frame).toMatchObject({ recordCount: 0, checkpointId: 7 });
    expect(sent[1]!.frame.payload.byteLength).toBe(0);
  });
});

describe('OutputChannel batch size', () => {
  it('starts at 256 records per frame', () => {
    const { channel } = capture();
    expect(pushUntilFull(channel, (i) => i)).toBe(256);
  });

  it('grows to 4096 records for tiny records', () => {
    const { channel } = capture();
    for (let i = 0; i < 100; i++) channel.push(1);
    channel.flush();
    expect(pushUntilFull(channel, () => 1)).toBe(4096);
  });

  it('shrinks to 16 records for large records', () => {
    const { channel } = capture();
    const big = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 10; i++) channel.push(big);
    channel.flush();
    expect(pushUntilFull(channel, () => big)).toBe(16);
  });

  it('aims at 32 KiB frames for medium records', () => {
    const { sent, channel } = capture();
    channel.onCredit(1);
    const record = (i: number) => ({ id: i, text: 'y'.repeat(100) });
    for (let i = 0; i < 50; i++) channel.push(record(i));
    channel.flush();
    const perRecord = sent[0]!.frame.payload.byteLength / 50;
    const expected = Math.round((32 * 1024) / perRecord);
    expect(expected).toBeGreaterThan(16);
    expect(expected).toBeLessThan(4096);
    expect(pushUntilFull(channel, record)).toBe(expected);
  });
});

describe('OutputChannel timestamps', () => {
  it('sends timestamps only for frames that have some, NaN for the records without', () => {
    const frames: Frame[] = [];
    const channel = new OutputChannel('c', (_id, frame) => frames.push(frame));
    channel.onCredit(10);
    channel.push('a');
    channel.push('b', 7);
    channel.flush();
    channel.push('c');
    channel.flush();
    const first = decodeRecordFrame(frames[0]!.payload);
    expect(first.records).toEqual(['a', 'b']);
    expect(Array.from(first.timestamps!)).toEqual([Number.NaN, 7]);
    expect(decodeRecordFrame(frames[1]!.payload).timestamps).toBeUndefined();
  });
});
