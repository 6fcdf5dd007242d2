/**
 * The connector SPI (`@weir/worker/connector`): what a connector's runtime
 * module needs from the worker to run its operators in a slot thread. A
 * connector imports only this entry; its default export is a
 * {@link ConnectorRuntime}.
 *
 * @packageDocumentation
 */
export type { ChainedOperator, Emit, OperatorContext, RecordTime, SourceOperator, SourceWatermark } from './runtime/operator.ts';
export type { DeadLetterOutput } from './runtime/dead-letter-output.ts';
export type { ConnectorRuntime, ConnectorSinkFactory, ConnectorSourceFactory } from './connectors/connector-runtime.ts';
export { SplitWatermarks } from './runtime/time/split-watermarks.ts';
export { UserFunctionError } from './runtime/user-function-error.ts';
/** Helpers of the worker's runtime that connectors share: waits that a signal ends, retry backoff, split status for `weir status`. */
export { backoffDelayMs, sleep, type SplitStatus } from '@weir/protocol/runtime';
