// Turns fetched Kafka records into what the source emits: built-in deserializers, the user's, record metadata.
import type { FetchedMessage, FetchedRecords } from '../wire/fetched-records.ts';
import type { DeserializerKind, KafkaSourceConfig } from './kafka-source-config.ts';

/** What user deserializers get besides the bytes, and what `KafkaRecord` output carries. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  /** The record's timestamp (ms): create time or log-append time, as the topic is configured. */
  timestamp: number;
  headers: Record<string, string | string[]>;
}

/** A Kafka record with its deserialized key and value (the source's `record` output). */
export interface KafkaRecordOut extends RecordMetadata {
  key: unknown;
  value: unknown;
}

/** Returned by a decoder for a record with no value (a tombstone) in value-only output: it is skipped and counted. */
export const TOMBSTONE = Symbol('tombstone');

export type RecordDecoder = (message: FetchedMessage, topic: string, partition: number) => unknown;

type BytesDeserializer = (bytes: Buffer | null, meta: RecordMetadata) => unknown;

/** Decodes record `index` of fetched records; throws like RecordDecoder. */
export type FetchedRecordDecoder = (records: FetchedRecords, index: number, topic: string, partition: number) => unknown;

/**
 * Like `recordDecoder`, for records still in their fetched bytes: JSON and
 * string values of value-only output are read straight from the bytes; other
 * configurations get the record as a message.
 */
export function fetchedRecordDecoder(config: Pick<KafkaSourceConfig, 'key' | 'value' | 'output'>, functions: Readonly<Record<string, unknown>>): FetchedRecordDecoder {
  if (config.output === 'value' && config.value === 'json') {
    return (records, i) => {
      const text = records.valueText(i);
      return text === null ? TOMBSTONE : JSON.parse(text);
    };
  }
  if (config.output === 'value' && config.value === 'string') return (records, i) => records.valueText(i) ?? TOMBSTONE;
  const decode = recordDecoder(config, functions);
  return (records, i, topic, partition) => decode(records.message(i), topic, partition);
}

/**
 * Builds the function that turns a fetched record into what the source
 * emits, from the config's deserializer kinds and the user's functions
 * (`keyDeserializer`, `valueDeserializer`, `recordDeserializer`). It throws
 * when a record cannot be deserialized; the caller sends it to the dead
 * letters.
 */
export function recordDecoder(config: Pick<KafkaSourceConfig, 'key' | 'value' | 'output'>, functions: Readonly<Record<string, unknown>>): RecordDecoder {
  if (config.output === 'function') {
    const fn = userFunction(functions, 'recordDeserializer') as (record: KafkaRecordOut & { key: Buffer | null; value: Buffer | null }) => unknown;
    return (m, topic, partition) => fn({ ...metadata(m, topic, partition), key: m.key, value: m.value });
  }
  const value = bytesDeserializer(config.value, functions, 'valueDeserializer');
  if (config.output === 'value') {
    if (config.value === 'json') {
      return (m) => (m.value === null ? TOMBSTONE : JSON.parse(m.value.toString('utf8')));
    }
    if (config.value === 'string') return (m) => (m.value === null ? TOMBSTONE : m.value.toString('utf8'));
    if (config.value === 'bytes') return (m) => (m.value === null ? TOMBSTONE : m.value);
    return (m, topic, partition) => (m.value === null ? TOMBSTONE : value(m.value, metadata(m, topic, partition)));
  }
  const key = bytesDeserializer(config.key, functions, 'keyDeserializer');
  return (m, topic, partition) => {
    const meta = metadata(m, topic, partition);
    return { ...meta, key: key(m.key, meta), value: value(m.value, meta) } satisfies KafkaRecordOut;
  };
}

function bytesDeserializer(kind: DeserializerKind, functions: Readonly<Record<string, unknown>>, role: string): BytesDeserializer {
  switch (kind) {
    case 'json':
      return (b) => (b === null ? null : JSON.parse(b.toString('utf8')));
    case 'string':
      return (b) => (b === null ? null : b.toString('utf8'));
    case 'bytes':
      return (b) => b;
    case 'none':
      return () => null;
    case 'function':
      return userFunction(functions, role) as BytesDeserializer;
  }
}

function userFunction(functions: Readonly<Record<string, unknown>>, role: string): unknown {
  const fn = functions[role];
  if (typeof fn !== 'function') throw new Error(`the Kafka source's config names a ${role} function but the job has none: rebuild the job with the same SDK as the worker`);
  return fn;
}

export function metadata(m: FetchedMessage, topic: string, partition: number): RecordMetadata {
  return { topic, partition, offset: Number(m.offset), timestamp: Number(m.timestamp), headers: decodeHeaders(m.headers) };
}

function decodeHeaders(headers: FetchedMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!headers) return out;
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    // A header with a null value reads as the empty string.
    out[name] = Array.isArray(v) ? v.map((x) => (x === null ? '' : x.toString())) : v === null ? '' : v.toString();
  }
  return out;
}

/** The raw bytes of a record for a dead letter: text when they are valid UTF-8, otherwise base64 (prefixed `base64:`). */
export function rawText(bytes: Buffer | null): string {
  if (bytes === null) return '';
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `base64:${bytes.toString('base64')}`;
  }
}
