import type { AggregatingState, KeyedProcessContext, ListState, MapState, ReducingState, ValueState } from '@weir/common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as sdk from './index.ts';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './state-descriptors.ts';

describe('state descriptors', () => {
  it('are exported by the SDK', () => {
    expect(sdk.ValueStateDescriptor).toBe(ValueStateDescriptor);
    expect(sdk.ListStateDescriptor).toBe(ListStateDescriptor);
    expect(sdk.MapStateDescriptor).toBe(MapStateDescriptor);
    expect(sdk.ReducingStateDescriptor).toBe(ReducingStateDescriptor);
    expect(sdk.AggregatingStateDescriptor).toBe(AggregatingStateDescriptor);
  });

  it('carry kind, name and options as plain fields, with no type marker at runtime', () => {
    const defaults = { serializer: 'msgpack', version: 1, migrate: undefined };
    const sum = (a: number, b: number): number => a + b;
    const agg = { createAccumulator: () => 0, add: (v: number, acc: number) => acc + v, getResult: (acc: number) => String(acc) };
    expect({ ...new ValueStateDescriptor<number>('v', 0) }).toEqual({ kind: 'value', name: 'v', defaultValue: 0, ttl: undefined, ...defaults });
    expect({ ...new ListStateDescriptor<string>('l') }).toEqual({ kind: 'list', name: 'l', ttl: undefined, ...defaults });
    expect(Object.keys(new ListStateDescriptor<string>('l'))).not.toContain('__stateType');
    expect({ ...new MapStateDescriptor<string, number>('m') }).toEqual({ kind: 'map', name: 'm', keyType: 'string', ttl: undefined, ...defaults });
    expect({ ...new MapStateDescriptor<number, number>('n', 'number') }).toMatchObject({ keyType: 'number' });
    expect({ ...new ReducingStateDescriptor('r', sum) }).toEqual({ kind: 'reducing', name: 'r', reduceFunction: sum, ttl: undefined, ...defaults });
    expect({ ...new AggregatingStateDescriptor('a', agg) }).toEqual({ kind: 'aggregating', name: 'a', aggregateFunction: agg, ttl: undefined, ...defaults });
  });

  it('take options: ttl, serializer, version and a migration', () => {
    const migrate = (value: unknown) => ({ n: value });
    const d = new ValueStateDescriptor<number>('v', 0, { ttl: { ttlMs: 100 }, serializer: 'json', version: 3, migrate });
    expect({ ttl: d.ttl, serializer: d.serializer, version: d.version, migrate: d.migrate }).toEqual({ ttl: { ttlMs: 100, updateType: 'OnCreateAndWrite' }, serializer: 'json', version: 3, migrate });
    expect(new MapStateDescriptor<number, number>('m', 'number', { version: 2 }).version).toBe(2);
    expect(new ListStateDescriptor<number>('l', { ttlMs: 5 }).ttl).toEqual({ ttlMs: 5, updateType: 'OnCreateAndWrite' });
  });

  it('refuse bad options, naming the descriptor and the option', () => {
    expect(() => new ValueStateDescriptor('v', 0, { version: 0 })).toThrow("ValueStateDescriptor 'v': version must be an integer >= 1, got 0");
    expect(() => new ValueStateDescriptor('v', 0, { serializer: 'avro' as never })).toThrow("serializer must be 'msgpack' or 'json'");
    expect(() => new ListStateDescriptor('l', { versoin: 2 } as never)).toThrow("ListStateDescriptor 'l': unknown option 'versoin'");
    expect(() => new ListStateDescriptor('l', { migrate: 1 } as never)).toThrow('migrate must be a function');
  });

  it('take a TTL, filling in the update type, as a frozen copy', () => {
    const ttl = { ttlMs: 5000 };
    const value = new ValueStateDescriptor<number>('v', undefined, ttl);
    expect(value.ttl).toEqual({ ttlMs: 5000, updateType: 'OnCreateAndWrite' });
    expect(Object.isFrozen(value.ttl)).toBe(true);
    expect(value.ttl).not.toBe(ttl);
    expect(new ListStateDescriptor<number>('l', { ttlMs: 1, updateType: 'OnReadAndWrite' }).ttl).toEqual({ ttlMs: 1, updateType: 'OnReadAndWrite' });
    expect(new MapStateDescriptor<string, number>('m', 'string', { ttlMs: 2 }).ttl?.ttlMs).toBe(2);
    expect(new MapStateDescriptor<number, number>('m', 'number', { ttlMs: 3 }).ttl?.ttlMs).toBe(3);
    expect(new ReducingStateDescriptor<number>('r', (a, b) => a + b, { ttlMs: 4 }).ttl?.ttlMs).toBe(4);
  });

  it('refuse bad names, TTLs, key types and functions, naming the descriptor and the state', () => {
    expect(() => new ValueStateDescriptor('')).toThrow(/ValueStateDescriptor: the state name must be a non-empty string, got ""/);
    expect(() => new ListStateDescriptor(undefined as unknown as string)).toThrow(/ListStateDescriptor: the state name must be a non-empty string/);
    expect(() => new ListStateDescriptor('l', { ttlMs: 0 })).toThrow(/ListStateDescriptor 'l': ttl.ttlMs must be a finite number of milliseconds > 0, got 0/);
    expect(() => new ValueStateDescriptor('v', 1, { ttlMs: Number.POSITIVE_INFINITY })).toThrow(/ttl.ttlMs must be a finite number/);
    expect(() => new ValueStateDescriptor('v', 1, { ttlMs: '100' as unknown as number })).toThrow(/ttl.ttlMs must be a finite number/);
    expect(() => new ValueStateDescriptor('v', 1, { ttlMs: 100, updateType: 'OnRead' as 'OnReadAndWrite' })).toThrow(/ValueStateDescriptor 'v': ttl.updateType must be 'OnCreateAndWrite' or 'OnReadAndWrite', got "OnRead"/);
    expect(() => new MapStateDescriptor<string, number>('m', 'int' as 'string')).toThrow(/MapStateDescriptor 'm': the key type must be 'string' or 'number', got "int"/);
    expect(() => new ReducingStateDescriptor<number>('r', undefined as unknown as (a: number, b: number) => number)).toThrow(/ReducingStateDescriptor 'r': the reduce function must be a function/);
    expect(() => new AggregatingStateDescriptor('g', { createAccumulator: () => 0, add: (v: number, a: number) => a + v } as never)).toThrow(/AggregatingStateDescriptor 'g': getResult must be a function/);
    expect(() => new AggregatingStateDescriptor('g', null as never)).toThrow(/AggregatingStateDescriptor 'g': the aggregate function must be an object/);
  });

  it('type the state that the context returns for them', () => {
    const average = new AggregatingStateDescriptor('average', {
      createAccumulator: () => ({ sum: 0, count: 0 }),
      add: (value: number, acc: { sum: number; count: number }) => {
        acc.sum += value;
        acc.count++;
        return acc;
      },
      getResult: (acc) => acc.sum / acc.count,
    });
    expectTypeOf(average).toEqualTypeOf<AggregatingStateDescriptor<number, { sum: number; count: number }, number>>();
    const typed = (ctx: KeyedProcessContext<string>): void => {
      expectTypeOf(ctx.getState(new ValueStateDescriptor<Date>('v'))).toEqualTypeOf<ValueState<Date>>();
      expectTypeOf(ctx.getListState(new ListStateDescriptor<{ id: number }>('l'))).toEqualTypeOf<ListState<{ id: number }>>();
      expectTypeOf(ctx.getMapState(new MapStateDescriptor<number, string[]>('m', 'number'))).toEqualTypeOf<MapState<number, string[]>>();
      expectTypeOf(ctx.getMapState(new MapStateDescriptor<string | number, boolean>('u'))).toEqualTypeOf<MapState<string | number, boolean>>();
      expectTypeOf(ctx.getReducingState(new ReducingStateDescriptor<bigint>('r', (a, b) => a + b))).toEqualTypeOf<ReducingState<bigint>>();
      expectTypeOf(ctx.getAggregatingState(average)).toEqualTypeOf<AggregatingState<number, number>>();
      // @ts-expect-error a ListStateDescriptor is not a ValueState descriptor
      ctx.getState(new ListStateDescriptor<number>('l'));
      // @ts-expect-error a list of numbers is not a list of strings
      const strings: ListState<string> = ctx.getListState(new ListStateDescriptor<number>('l'));
      void strings;
    };
    void typed;
    // @ts-expect-error number keys need the 'number' key type, so they come back as numbers
    void new MapStateDescriptor<number, string>('m');
    // @ts-expect-error string keys cannot be declared as numbers
    void new MapStateDescriptor<string, string>('m', 'number');
  });
});
