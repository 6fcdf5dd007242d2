import { decodeRecords, FrameKind, type Frame } from '@weir/protocol';
import { describe, expect, it } from 'vitest';
import { RecordWriter } from './record-writer.ts';
import { TaskOutput } from './task-output.ts';

/** Lets pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

function tracked(promise: Promise<void>): { done: () => boolean } {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  return { done: () => done };
}

function setup(): { output: TaskOutput; sent: { channel: string; frame: Frame }[] } {
  const sent: { channel: string; frame: Frame }[] = [];
  const output = new TaskOutput((channel, frame) => sent.push({ channel, frame }));
  return { output, sent };
}

describe('TaskOutput.available', () => {
  it('resolves at once when no channel has a backlog', async () => {
    const { output } = setup();
    output.createChannel('a');
    expect(output.isAvailable()).toBe(true);
    const wait = tracked(output.available());
    await settle();
    expect(wait.done()).toBe(true);
  });

  it('resolves only once every channel has drained its backlog', async () => {
    const { output, sent } = setup();
    const a = output.createChannel('a');
    const b = output.createChannel('b');
    a.push('a1');
    a.flush();
    a.push('a2');
    a.flush();
    b.push('b1');
    b.flush();
    expect(output.isAvailable()).toBe(false);
    expect(output.backlogFrames()).toBe(3);

    const wait = tracked(output.available());
    await settle();
    expect(wait.done()).toBe(false);

    output.onCredit('a', 1); // a still has one frame waiting
    await settle();
    expect(wait.done()).toBe(false);

    output.onCredit('a', 1);
    await settle();
    expect(wait.done()).toBe(false); // b still waits

    output.onCredit('unknown-channel', 5);
    await settle();
    expect(wait.done()).toBe(false);

    output.onCredit('b', 1);
    await settle();
    expect(wait.done()).toBe(true);
    expect(output.backlogFrames()).toBe(0);
    expect(sent.map((s) => [s.channel, decodeRecords(s.frame.payload)])).toEqual([
      ['a', ['a1']],
      ['a', ['a2']],
      ['b', ['b1']],
    ]);
  });

  it('interrupt() wakes a waiter even with a backlog', async () => {
    const { output } = setup();
    const a = output.createChannel('a');
    a.push(1);
    a.flush();
    const wait = tracked(output.available());
    await settle();
    expect(wait.done()).toBe(false);
    output.interrupt();
    await settle();
    expect(wait.done()).toBe(true);
    expect(output.isAvailable()).toBe(false);
  });
});

describe('TaskOutput emit and events', () => {
  it('hands every record to every writer and counts it once', () => {
    const { output, sent } = setup();
    const a = output.createChannel('a');
    const b = output.createChannel('b');
    output.addWriter(new RecordWriter([a], 'forward', 128, undefined, 0));
    output.addWriter(new RecordWriter([b], 'forward', 128, undefined, 0));
    output.onCredit('a', 10);
    output.onCredit('b', 10);
    output.emit('x');
    output.emit('y');
    expect(output.recordsOut).toBe(2);
    expect(sent).toEqual([]);
    output.flushAll();
    expect(sent.map((s) => [s.channel, decodeRecords(s.frame.payload)])).toEqual([
      ['a', ['x', 'y']],
      ['b', ['x', 'y']],
    ]);
  });

  it('broadcastEvent sends the event on every channel of every writer, after pending records', () => {
    const { output, sent } = setup();
    const channels = ['a', 'b', 'c'].map((id) => output.createChannel(id));
    output.addWriter(new RecordWriter(channels.slice(0, 2), 'rebalance', 128, undefined, 0));
    output.addWriter(new RecordWriter(channels.slice(2), 'forward', 128, undefined, 0));
    for (const id of ['a', 'b', 'c']) output.onCredit(id, 10);
    output.emit('r');
    output.broadcastEvent(FrameKind.EndOfPartition);
    const byChannel = (id: string) => sent.filter((s) => s.channel === id).map((s) => s.frame.kind);
    expect(byChannel('a')).toEqual([FrameKind.Records, FrameKind.EndOfPartition]);
    expect(byChannel('b')).toEqual([FrameKind.EndOfPartition]);
    expect(byChannel('c')).toEqual([FrameKind.Records, FrameKind.EndOfPartition]);
  });
});
