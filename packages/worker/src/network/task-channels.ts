// The channels of one subtask, made from its deployment: an output channel
// per consumer of each outgoing edge (behind that edge's record writer) and
// an input channel per producer; a channel to a co-located subtask uses its
// own MessagePort, the others go through the worker's main thread.
import { channelId, type TaskDeployment } from '@weir/protocol/runtime';
import type { InputGate } from './input-gate.ts';
import { consumerEnd, producerEnd, type LocalChannelPort } from './local-channel-port.ts';
import { RecordWriter } from './record-writer.ts';
import type { TaskOutput } from './task-output.ts';

/**
 * Adds `d`'s channels to `output` and `gate`. `localChannels`: the ports of
 * its local channels; `userFunction`: the job's functions by id (partitioning
 * key selectors).
 */
export function wireTaskChannels(
  d: TaskDeployment,
  output: TaskOutput,
  gate: InputGate,
  localChannels: readonly LocalChannelPort[],
  userFunction: (id: string) => unknown,
): void {
  const local = new Map(localChannels.map((c) => [c.channel, c.port]));
  for (const out of d.outputs) {
    const channels = out.consumers.map((c) => {
      const id = channelId(d.jobId, d.attemptToken, d.vertexId, d.subtaskIndex, c.vertexId, c.subtaskIndex, out.edgeTag);
      const port = local.get(id);
      return output.createChannel(id, port && producerEnd(port, (credits) => output.onCredit(id, credits)));
    });
    const keySelector = out.keySelector ? (userFunction(out.keySelector) as (r: unknown) => unknown) : undefined;
    output.addWriter(new RecordWriter(channels, out.partitioning, out.maxParallelism, keySelector, d.subtaskIndex), out.sideOutput);
  }
  for (const input of d.inputs) {
    for (const p of input.producers) {
      const id = channelId(d.jobId, d.attemptToken, p.vertexId, p.subtaskIndex, d.vertexId, d.subtaskIndex, input.edgeTag);
      const port = local.get(id);
      gate.addChannel(id, input.inputIndex, port && consumerEnd(port, (frame) => gate.onFrame(id, frame)));
    }
  }
}
