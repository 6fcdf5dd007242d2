import { resolve } from 'node:path';
import { checkParallelism, checkRestartStrategy, type CheckpointConfig, type RestartStrategy, type StateBackendKind } from '@weir/common';
import type { Source } from './connector.ts';
import { DataStream } from './data-stream.ts';
import type { JobBuilder } from './job-builder.ts';
import type { WatermarkStrategy } from './watermark-strategy.ts';

/** Options of the generator source. */
export interface GeneratorOptions<T = unknown> {
  /** How many records to emit in all (indices 0..count-1); unbounded when absent. */
  count?: number;
  /** Upper bound on records per second over all subtasks. */
  ratePerSecond?: number;
  /** Event time per split: a watermark is generated for each generator split. */
  watermarks?: WatermarkStrategy<T>;
}

/** Options of the file sources. */
export interface FileSourceOptions<T = unknown> {
  /** Where malformed lines go (JSON lines with the reason); default: the worker's data dir. */
  deadLetterDir?: string;
  /** Event time per split (byte range of the file). */
  watermarks?: WatermarkStrategy<T>;
}

/**
 * The entry point of a job definition: sets job-wide options and creates
 * sources. It is handed to the function given to `defineJob`.
 */
export class StreamExecutionEnvironment {
  private readonly builder: JobBuilder;
  /** The arguments given after `--` to `weir run`. */
  readonly args: readonly string[];

  /** @internal */
  constructor(builder: JobBuilder, args: readonly string[]) {
    this.builder = builder;
    this.args = args;
  }

  /** The job's name, shown by `weir list` and `weir status`. */
  setJobName(name: string): this {
    this.builder.settings.name = name;
    return this;
  }

  /** Default parallelism of every operator (overridden by `weir run -p`). */
  setParallelism(parallelism: number): this {
    checkParallelism(parallelism, Math.max(parallelism, this.builder.settings.maxParallelism), 'job');
    this.builder.settings.parallelism = parallelism;
    return this;
  }

  /** The number of key groups (default 128); cannot change once a job has state. */
  setMaxParallelism(maxParallelism: number): this {
    this.builder.settings.maxParallelism = maxParallelism;
    return this;
  }

  /** Runs every operator as a task of its own (to measure or debug). */
  disableOperatorChaining(): this {
    this.builder.settings.chaining = false;
    return this;
  }

  /**
   * How failures are retried, e.g. `RestartStrategies.fixedDelay(3, 1000)`.
   * `weir run --restart-strategy` overrides it; without either, the cluster's
   * default applies (`coordinator.restartStrategy`).
   */
  setRestartStrategy(strategy: RestartStrategy): this {
    this.builder.settings.config.restartStrategy = checkRestartStrategy(strategy);
    return this;
  }

  /**
   * Takes a consistent snapshot of all state every `intervalMs` (barrier
   * aligned; Flink's checkpoints). Failures then restart from the latest
   * completed checkpoint, and file sinks commit exactly once. `weir run
   * --checkpoint-interval` overrides the interval.
   */
  enableCheckpointing(intervalMs: number, options: Partial<Omit<CheckpointConfig, 'intervalMs'>> = {}): this {
    Object.assign(this.builder.settings.config.checkpoint, options, { intervalMs });
    return this;
  }

  /**
   * Where keyed state lives: 'rocksdb' (default; on the worker's disk, as
   * large as the disk, read and written per batch) or 'heap' (in memory,
   * faster, bounded by the slot thread's heap).
   */
  setStateBackend(kind: StateBackendKind): this {
    this.builder.settings.config.stateBackend = kind;
    return this;
  }

  /** How often periodic watermark generators emit a watermark (default 200 ms). */
  setAutoWatermarkInterval(ms: number): this {
    this.builder.settings.config.autoWatermarkIntervalMs = ms;
    return this;
  }

  /**
   * Reads a connector's source, e.g. `KafkaSource.builder<T>()...build()`.
   * With a watermark strategy, timestamps and watermarks are generated per
   * split (Kafka partition), and idle splits do not hold the watermark back.
   */
  fromSource<T>(source: Source<T>, watermarks?: WatermarkStrategy<T>, name?: string): DataStream<T> {
    const wm = watermarks?.toOperator();
    const node = this.builder.addNode('source.connector', name ?? source.name, undefined, { ...source.config, ...wm?.config }, [], {
      ...source.functions,
      ...wm?.functions,
    });
    node.connector = { ...source.connector };
    return new DataStream<T>(this.builder, node);
  }

  /** Longest time a partly filled output frame waits before it is sent (latency vs throughput). */
  setBufferTimeout(ms: number): this {
    this.builder.settings.config.bufferTimeoutMs = ms;
    return this;
  }

  /** Where malformed records of every source go, unless a source names its own. */
  setDeadLetterDir(directory: string): this {
    this.builder.settings.config.deadLetterDir = resolve(directory);
    return this;
  }

  /**
   * A deterministic source: record i is `fn(i)`. With parallelism p, subtask
   * k emits the indices i with i mod p = k. Replayable from any position.
   */
  fromGenerator<T>(fn: (index: number) => T, options: GeneratorOptions<T> = {}): DataStream<T> {
    const wm = options.watermarks?.toOperator();
    const config = { count: options.count ?? null, ratePerSecond: options.ratePerSecond ?? null, ...wm?.config };
    const node = this.builder.addNode('source.generator', 'Generator', fn, config, [], wm?.functions);
    return new DataStream<T>(this.builder, node);
  }

  /** A bounded source of the given records. */
  fromElements<T>(...elements: T[]): DataStream<T> {
    return this.fromGenerator((i) => elements[i] as T, { count: elements.length }).name('Elements');
  }

  /** Lines of a text file, split among subtasks by byte range. */
  readTextFile(path: string, options: Pick<FileSourceOptions<string>, 'watermarks'> = {}): DataStream<string> {
    const wm = options.watermarks?.toOperator();
    const node = this.builder.addNode('source.file', 'TextFile', undefined, { path: resolve(path), format: 'text', ...wm?.config }, [], wm?.functions);
    return new DataStream<string>(this.builder, node);
  }

  /**
   * One JSON value per line. A line that is not valid JSON goes to the
   * dead-letter output with the reason and is counted in `weir status`.
   */
  readJsonLines<T = unknown>(path: string, options: FileSourceOptions<T> = {}): DataStream<T> {
    const config: Record<string, unknown> = { path: resolve(path), format: 'jsonl' };
    if (options.deadLetterDir) config.deadLetterDir = resolve(options.deadLetterDir);
    const wm = options.watermarks?.toOperator();
    const node = this.builder.addNode('source.file', 'JsonLinesFile', undefined, { ...config, ...wm?.config }, [], wm?.functions);
    return new DataStream<T>(this.builder, node);
  }
}
