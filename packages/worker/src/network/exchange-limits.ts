// What a worker accepts from peers on its Exchange streams: bounds on frames
// and credits, and the checks of one message. A message that breaks them is
// never handed to a slot thread.
import { CREDIT_KIND, FrameKind, type ExchangeMessage__Output } from '@weir/protocol';

/** Bounds on what peers may send on the data plane. */
export const EXCHANGE_LIMITS = {
  /** Largest payload of one frame (frames are ~32 KiB; a single huge record makes a bigger one). */
  maxFramePayloadBytes: 64 * 1024 * 1024,
  /** Most credits one grant may carry (a consumer grants its initial credits once, then one per frame). */
  maxCreditsPerGrant: 4096,
  /** Channels whose credits wait for a producer not deployed yet, over all peers. */
  maxPendingCreditChannels: 16_384,
  /** Credits that may wait for one such channel. */
  maxPendingCreditsPerChannel: 4096,
  /** Longest channel id. */
  maxChannelIdLength: 1024,
} as const;

const FRAME_KINDS = new Set<number>(Object.values(FrameKind));

/** Why an Exchange message is malformed, or undefined when it is well-formed (a known kind, bounded credits and payload). */
export function exchangeMessageProblem(message: ExchangeMessage__Output): string | undefined {
  if (typeof message.channel !== 'string' || message.channel.length === 0 || message.channel.length > EXCHANGE_LIMITS.maxChannelIdLength) {
    return `channel: expected a channel id of 1 to ${EXCHANGE_LIMITS.maxChannelIdLength} characters`;
  }
  if (message.kind === CREDIT_KIND) {
    if (!Number.isInteger(message.credits) || message.credits < 1 || message.credits > EXCHANGE_LIMITS.maxCreditsPerGrant) {
      return `credits: a grant carries 1 to ${EXCHANGE_LIMITS.maxCreditsPerGrant} credits, got ${message.credits}`;
    }
    return undefined;
  }
  if (!FRAME_KINDS.has(message.kind)) return `kind: ${message.kind} is no frame kind (0-5) nor a credit grant (255)`;
  if (message.payload.byteLength > EXCHANGE_LIMITS.maxFramePayloadBytes) {
    return `payload: ${message.payload.byteLength} bytes, more than the ${EXCHANGE_LIMITS.maxFramePayloadBytes} a frame may carry`;
  }
  if (message.kind !== FrameKind.Records && message.payload.byteLength > 0) return `payload: only a Records frame carries one (kind ${message.kind})`;
  return undefined;
}
