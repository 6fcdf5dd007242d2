/**
 * Weir's SDK: define a streaming job with the DataStream API and make it the
 * default export of a module; `weir run job.ts` bundles and submits it.
 *
 * @packageDocumentation
 */
export { defineJob, type JobDefinitionFn } from './define-job.ts';
export { StreamExecutionEnvironment, type GeneratorOptions, type FileSourceOptions } from './environment.ts';
export {
  DataStream,
  DataStreamSink,
  KeyedStream,
  type MapFunction,
  type FilterFunction,
  type FlatMapFunction,
  type KeySelector,
  type ReduceFunction,
  type KeyedProcessFn,
  type ForEachFunction,
} from './data-stream.ts';
export { ConnectedStreams, KeyedConnectedStreams } from './connected-streams.ts';
export { BroadcastStream, BroadcastConnectedStream, KeyedBroadcastConnectedStream } from './broadcast-stream.ts';
export { IntervalJoin, IntervalJoined } from './interval-join.ts';
export { JoinedStreams, CoGroupedStreams, JoinWindow, CoGroupWindow, type EqualTo } from './join-streams.ts';
export type { Source, Sink } from './connector.ts';
export { DEFAULT_MAX_PART_SIZE_BYTES, type FileSinkOptions, type RollingPolicy } from './file-sink-options.ts';
export { WatermarkStrategy } from './watermark-strategy.ts';
/** Throw it from a user function for a failure no restart can cure: the job fails at once, whatever its restart strategy. */
export { NonRecoverableError } from '@weir/common';
/** A restored state the job reads differently (kind, serializer, version without migration): the job fails at once. */
export { StateMigrationError } from '@weir/common';
export type { KeyedFunctionOptions } from './declared-states.ts';
export { OutputTag } from './output-tag.ts';
export { AsyncDataStream, AsyncRetryStrategies, type AsyncRetryStrategy, type AsyncRetryOptions, type AsyncWaitOptions } from './async-data-stream.ts';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  type MapStateDescriptorArgs,
} from './state-descriptors.ts';
export type {
  AggregateFunction,
  AsyncFunction,
  AsyncFunctionContext,
  AsyncResult,
  AsyncTimeoutHandler,
  AsyncRetryPredicate,
  AggregatingState,
  Collector,
  JobGraph,
  KeyedProcessContext,
  ProcessContext,
  ProcessFunction,
  NonKeyedTimerService,
  CoProcessFunction,
  KeyedCoProcessFunction,
  CoMapFunction,
  CoFlatMapFunction,
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  BroadcastContext,
  BroadcastReadOnlyContext,
  KeyedBroadcastContext,
  KeyedBroadcastReadOnlyContext,
  KeyedBroadcastOnTimerContext,
  BroadcastState,
  ReadOnlyBroadcastState,
  BroadcastStateDescriptorSpec,
  BroadcastTimerService,
  KeyedStateFunction,
  ProcessJoinFunction,
  ProcessJoinContext,
  JoinFunction,
  CoGroupFunction,
  OutputTagSpec,
  OnTimerContext,
  TimeDomain,
  TimerService,
  TimestampAssigner,
  WatermarkGenerator,
  WatermarkOutput,
  KeyedProcessFunction,
  ListState,
  MapState,
  MapStateKeyType,
  OnErrorPolicy,
  ReducingState,
  RestartStrategy,
  RuntimeContext,
  StateTtlConfig,
  StateTtlUpdateType,
  StateDescriptorOptions,
  StateDescriptorSpec,
  StateSerializer,
  DeclaresStates,
  ValueState,
} from '@weir/common';
export { RestartStrategies, type ExponentialDelayOptions } from './restart-strategies.ts';
export { WindowedStream } from './windowing/windowed-stream.ts';
export {
  WindowAssigner,
  TumblingEventTimeWindows,
  SlidingEventTimeWindows,
  EventTimeSessionWindows,
  TumblingProcessingTimeWindows,
  SlidingProcessingTimeWindows,
  GlobalWindows,
} from './windowing/window-assigners.ts';
export { Trigger, CountTrigger, EventTimeTrigger, ProcessingTimeTrigger, PurgingTrigger } from './windowing/triggers.ts';
export type { TimeWindow, GlobalWindow, WindowContext, ProcessWindowFunction } from './windowing/window-types.ts';
