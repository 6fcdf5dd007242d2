// The slot-thread ends of a local channel: a MessagePort straight to the
// co-located slot thread at the other end, frames one way (their buffers
// transferred), credits the other. The worker's main thread is not on the way.
import type { MessagePort } from 'node:worker_threads';
import type { Frame } from '@weir/protocol/runtime';

/** One end of a local channel, as a slot thread gets it with its deployment. */
export interface LocalChannelPort {
  readonly channel: string;
  readonly port: MessagePort;
}

/**
 * The producer's end of a local channel: returns the channel's send (a
 * frame's buffer is transferred, never copied); the consumer's credits go to
 * `onCredit`. Credits the consumer granted before this end was handed over
 * waited in the port and arrive now.
 */
export function producerEnd(port: MessagePort, onCredit: (credits: number) => void): (channel: string, frame: Frame) => void {
  port.on('message', onCredit);
  return (_channel, frame) => port.postMessage(frame, [frame.payload.buffer as ArrayBuffer]);
}

/** The consumer's end of a local channel: returns how it grants credits; frames go to `onFrame`. */
export function consumerEnd(port: MessagePort, onFrame: (frame: Frame) => void): (credits: number) => void {
  port.on('message', onFrame);
  return (credits) => port.postMessage(credits);
}
