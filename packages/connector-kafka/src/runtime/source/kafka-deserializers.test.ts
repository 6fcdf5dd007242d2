import { describe, expect, it } from 'vitest';
import type { FetchedMessage } from '../wire/fetched-records.ts';
import { rawText, recordDecoder, TOMBSTONE } from './kafka-deserializers.ts';

const message = (value: string | null, key: string | null = 'k1'): FetchedMessage => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: '1700000000123',
  offset: '42',
  headers: { source: Buffer.from('test'), multi: [Buffer.from('a'), 'b'] },
});

describe('Kafka record decoders', () => {
  it('decodes values as JSON, string or bytes, and skips tombstones in value-only output', () => {
    expect(recordDecoder({ key: 'none', value: 'json', output: 'value' }, {})(message('{"a":1}'), 't', 0)).toEqual({ a: 1 });
    expect(recordDecoder({ key: 'none', value: 'string', output: 'value' }, {})(message('héllo'), 't', 0)).toBe('héllo');
    expect(recordDecoder({ key: 'none', value: 'bytes', output: 'value' }, {})(message('ab'), 't', 0)).toEqual(Buffer.from('ab'));
    expect(recordDecoder({ key: 'none', value: 'json', output: 'value' }, {})(message(null), 't', 0)).toBe(TOMBSTONE);
  });

  it('throws on invalid JSON so the record can go to the dead letters', () => {
    expect(() => recordDecoder({ key: 'none', value: 'json', output: 'value' }, {})(message('{nope'), 't', 0)).toThrow(SyntaxError);
  });

  it('gives user deserializers the bytes and the record metadata', () => {
    const decode = recordDecoder({ key: 'none', value: 'function', output: 'value' }, {
      valueDeserializer: (b: Buffer | null, meta: { topic: string; partition: number; offset: number }) => `${b!.toString()}@${meta.topic}/${meta.partition}/${meta.offset}`,
    });
    expect(decode(message('v'), 'orders', 3)).toBe('v@orders/3/42');
  });

  it('emits whole records with key, value, position, timestamp and headers', () => {
    const decode = recordDecoder({ key: 'string', value: 'json', output: 'record' }, {});
    expect(decode(message('{"a":1}'), 'orders', 1)).toEqual({
      topic: 'orders',
      partition: 1,
      offset: 42,
      timestamp: 1700000000123,
      headers: { source: 'test', multi: ['a', 'b'] },
      key: 'k1',
      value: { a: 1 },
    });
    expect(recordDecoder({ key: 'string', value: 'json', output: 'record' }, {})(message(null, null), 'o', 0)).toMatchObject({ key: null, value: null });
  });

  it('passes raw records to a record deserializer and names a missing function', () => {
    const decode = recordDecoder({ key: 'none', value: 'none', output: 'function' }, { recordDeserializer: (r: { key: Buffer; offset: number }) => `${r.key.toString()}:${r.offset}` });
    expect(decode(message('x'), 't', 0)).toBe('k1:42');
    expect(() => recordDecoder({ key: 'none', value: 'function', output: 'value' }, {})).toThrow(/valueDeserializer/);
  });

  it('keeps raw bytes of dead letters readable', () => {
    expect(rawText(Buffer.from('{bad'))).toBe('{bad');
    expect(rawText(Buffer.from([0xff, 0xfe]))).toBe('base64://4=');
  });
});
