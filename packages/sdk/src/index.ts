/**
 * Weir's SDK: define a streaming job with the DataStream API and make it the
 * default export of a module; `weir run job.ts` bundles and submits it.
 *
 * @packageDocumentation
 */
export { defineJob, type JobDefinitionFn } from './api/define-job.ts';
export { StreamExecutionEnvironment, type GeneratorOptions, type FileSourceOptions } from './api/environment.ts';
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
} from './api/data-stream.ts';
export type { Source, Sink } from './api/connector.ts';
export { WatermarkStrategy } from './api/watermark-strategy.ts';
export { OutputTag } from './api/output-tag.ts';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  type MapStateDescriptorArgs,
} from './api/state-descriptors.ts';
export type {
  AggregateFunction,
  AggregatingState,
  Collector,
  JobGraph,
  KeyedProcessContext,
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
  ReducingState,
  RestartStrategy,
  RuntimeContext,
  StateTtlConfig,
  StateTtlUpdateType,
  ValueState,
} from '@weir/common/job';
export {
  KafkaSink,
  KafkaSinkBuilder,
  KafkaRecordSerializer,
  KafkaRecordSerializerBuilder,
  KafkaSerializers,
  type KafkaSerializer,
  type KafkaTopicSelector,
  type KafkaDeliveryGuarantee,
  type KafkaSinkConfig,
} from './api/connectors/kafka-sink.ts';
export {
  KafkaSource,
  KafkaSourceBuilder,
  KafkaDeserializers,
  OffsetsInitializer,
  type KafkaDeserializer,
  type KafkaBuiltinDeserializer,
  type KafkaRecord,
  type KafkaRawRecord,
  type KafkaRecordMetadata,
  type KafkaSourceProperties,
  type OffsetsInitializerSpec,
} from './api/connectors/kafka-source.ts';
export { WindowedStream } from './api/windowing/windowed-stream.ts';
export {
  WindowAssigner,
  TumblingEventTimeWindows,
  SlidingEventTimeWindows,
  EventTimeSessionWindows,
  TumblingProcessingTimeWindows,
  SlidingProcessingTimeWindows,
  GlobalWindows,
} from './api/windowing/window-assigners.ts';
export { Trigger, CountTrigger, EventTimeTrigger, ProcessingTimeTrigger, PurgingTrigger } from './api/windowing/triggers.ts';
export type { TimeWindow, GlobalWindow, WindowContext, ProcessWindowFunction } from './api/windowing/window-types.ts';
