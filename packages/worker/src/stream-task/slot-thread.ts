// Entry point of a slot thread: runs one subtask deployed by the worker's main thread.
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { describeError, isJobArtifactModule, isNonRecoverable } from '@weir/common/runtime';
import type { MainToSlot, SlotToMain } from './thread-protocol.ts';
import { StreamTask } from './stream-task.ts';

process.setSourceMapsEnabled(true);

const port = parentPort;
if (!port) throw new Error('slot-thread.ts must run in a worker thread');

const post = (message: SlotToMain, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer ?? []);
let task: StreamTask | undefined;
let cancelledEarly = false;
/** Frames and credits that came before the task existed (it was loading the job's code); handed to it once it does. */
const early: Extract<MainToSlot, { type: 'frame' | 'credit' }>[] = [];

port.on('message', (message: MainToSlot) => {
  switch (message.type) {
    case 'deploy':
      void deploy(message);
      return;
    case 'frame':
      if (task) task.onFrame(message.channel, message.frame);
      else early.push(message);
      return;
    case 'credit':
      if (task) task.onCredit(message.channel, message.credits);
      else early.push(message);
      return;
    case 'cancel':
      cancelledEarly = true;
      task?.cancel();
      return;
    case 'fail':
      task?.fail(message.reason);
      return;
    case 'trigger-checkpoint':
      task?.onTriggerCheckpoint(message.checkpointId, message.stopSources);
      return;
    case 'checkpoint-complete':
      task?.onCheckpointComplete(message.checkpointId);
      return;
  }
});

async function deploy(message: Extract<MainToSlot, { type: 'deploy' }>): Promise<void> {
  try {
    const module = (await import(pathToFileURL(message.artifactPath).href)) as { default?: unknown };
    if (!isJobArtifactModule(module.default)) {
      throw new Error('the job artifact has no job definition as its default export: export default defineJob(...)');
    }
    const built = module.default.build(message.deployment.args);
    task = new StreamTask(message.deployment, built.functions, post, message.dataDir, message.localChannels);
    for (const m of early.splice(0)) {
      if (m.type === 'frame') task.onFrame(m.channel, m.frame);
      else task.onCredit(m.channel, m.credits);
    }
    if (cancelledEarly) task.cancel();
    const state = await task.run(message.initialCredits);
    post({ type: 'state', state });
  } catch (error) {
    post({ type: 'state', state: 'FAILED', error: describeError(error), nonRecoverable: isNonRecoverable(error) });
  }
}
