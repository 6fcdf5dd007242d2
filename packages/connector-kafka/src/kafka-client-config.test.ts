import { describe, expect, it } from 'vitest';
import { ValidationError } from '@weir/common';
import { kafkaClientId, parseBootstrapServers } from './kafka-client-config.ts';
import { KafkaSink } from './api/kafka-sink.ts';
import { KafkaSource } from './api/kafka-source.ts';

describe('parseBootstrapServers', () => {
  it('reads a comma-separated string and lists, trimming spaces and dropping empty entries', () => {
    expect(parseBootstrapServers('a:9092', 'x')).toEqual(['a:9092']);
    expect(parseBootstrapServers(' a:9092 , b.example.com:9093 ,', 'x')).toEqual(['a:9092', 'b.example.com:9093']);
    expect(parseBootstrapServers(['a:1', ' ', '10.0.0.1:65535'], 'x')).toEqual(['a:1', '10.0.0.1:65535']);
    expect(parseBootstrapServers(['a:1,b:2'], 'x')).toEqual(['a:1', 'b:2']);
  });

  it('refuses entries without a port, with a bad port, or with spaces inside', () => {
    expect(() => parseBootstrapServers('localhost', 'KafkaSource')).toThrow(/KafkaSource: bootstrap server 'localhost' is not host:port \(it has no port\)/);
    expect(() => parseBootstrapServers('a:', 'x')).toThrow(/'a:' is not host:port/);
    expect(() => parseBootstrapServers('a:0', 'x')).toThrow(/'a:0'/);
    expect(() => parseBootstrapServers('a:65536', 'x')).toThrow(/'a:65536'/);
    expect(() => parseBootstrapServers('a:9092x', 'x')).toThrow(/'a:9092x'/);
    expect(() => parseBootstrapServers('my host:9092', 'x')).toThrow(/'my host:9092'/);
    expect(() => parseBootstrapServers('a:1:2', 'x')).toThrow(/'a:1:2'/);
  });

  it('refuses IPv6 literals, which kafkajs cannot reach, saying so', () => {
    expect(() => parseBootstrapServers('[::1]:9092', 'x')).toThrow(/IPv6 address/);
  });

  it('refuses nothing at all and values that are not strings', () => {
    expect(() => parseBootstrapServers('', 'KafkaSink')).toThrow(/KafkaSink needs at least one bootstrap server/);
    expect(() => parseBootstrapServers(' , ', 'x')).toThrow(/at least one/);
    expect(() => parseBootstrapServers([], 'x')).toThrow(/at least one/);
    expect(() => parseBootstrapServers(undefined, 'x')).toThrow(ValidationError);
    expect(() => parseBootstrapServers([9092], 'x')).toThrow(/not a 'host:port' string/);
  });

  it('is the rule of both builders', () => {
    expect(() => KafkaSource.builder().setBootstrapServers('localhost')).toThrow(/no port/);
    expect(() => KafkaSink.builder().setBootstrapServers('localhost')).toThrow(/no port/);
    const sink = KafkaSink.builder().setBootstrapServers(' a:1, b:2 ,');
    const source = KafkaSource.builder().setBootstrapServers(' a:1, b:2 ,');
    expect((sink as unknown as { bootstrapServers: string[] }).bootstrapServers).toEqual(['a:1', 'b:2']);
    expect((source as unknown as { bootstrapServers: string[] }).bootstrapServers).toEqual(['a:1', 'b:2']);
  });
});

describe('kafkaClientId', () => {
  it('is the configured id, else one naming job, operator and subtask', () => {
    const runtime = { jobId: 'j', operatorId: 'op', subtaskIndex: 2 };
    expect(kafkaClientId({ clientId: 'mine' }, runtime)).toBe('mine');
    expect(kafkaClientId({ clientId: null }, runtime)).toBe('weir-j-op-2');
    expect(kafkaClientId({}, runtime)).toBe('weir-j-op-2');
  });
});
