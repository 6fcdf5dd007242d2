// The keyed state store against the states of the checkpoint it restores
// from: declared states are checked at once, others on first use; the json
// serializer; migrations of stored values; what a checkpoint records.
import type { StateMetadata, ValueStateDescriptorSpec } from '@weir/common';
import { describe, expect, it } from 'vitest';
import { HeapKeyedStateBackend } from '../../state-backends/heap-keyed-state-backend.ts';
import { KeyedStateStore } from './keyed-state-store.ts';

const saved: StateMetadata = { name: 'count', kind: 'value', serializer: 'msgpack', version: 1 };
const backend = (): HeapKeyedStateBackend => new HeapKeyedStateBackend({ start: 0, end: 127 }, 128);
const value = (options: Partial<ValueStateDescriptorSpec<unknown>> = {}): ValueStateDescriptorSpec<unknown> => ({ kind: 'value', name: 'count', defaultValue: undefined, ...options });

describe('KeyedStateStore and restored states', () => {
  it('fails at once, before any record, when a declared state does not fit the restored one', () => {
    const make = () => new KeyedStateStore(backend(), { operatorUid: 'counter', restored: [saved], declared: [{ kind: 'list', name: 'count' }] });
    expect(make).toThrow(expect.objectContaining({ name: 'StateMigrationError', nonRecoverable: true, operatorUid: 'counter', stateName: 'count' }));
    expect(make).toThrow("operator 'counter', state 'count': the checkpoint has value state, msgpack, version 1, the job declares list state, msgpack, version 1");
  });

  it('fails the first use of an undeclared state that does not fit', () => {
    const store = new KeyedStateStore(backend(), { operatorUid: 'counter', restored: [saved] });
    expect(() => store.getState(value({ serializer: 'json' }))).toThrow(/StateMigrationError|serializer changed from msgpack to json/);
    expect(() => store.getState(value({ version: 2 }))).toThrow('without a migration');
    expect(store.getState(value()).value()).toBeUndefined();
  });

  it('refuses a migration of a state that was not declared up front (its values could not be rewritten before use)', () => {
    const store = new KeyedStateStore(backend(), { operatorUid: 'counter', restored: [saved] });
    expect(() => store.getState(value({ version: 2, migrate: (v) => v }))).toThrow('for states declared up front only');
    const declared = value({ version: 2, migrate: (v) => v });
    const upfront = new KeyedStateStore(backend(), { restored: [saved], declared: [declared] });
    expect(() => upfront.getState(declared)).not.toThrow();
  });

  it('stores json state as JSON text and reads it back', () => {
    const state = backend();
    const store = new KeyedStateStore(state);
    store.setCurrentKey('a');
    store.getState(value({ serializer: 'json' })).update({ n: 1, at: [2] });
    expect(state.table('value/count').get('a')).toBe('{"n":1,"at":[2]}');
    expect(store.getState(value({ serializer: 'json' })).value()).toEqual({ n: 1, at: [2] });
  });

  it('offers a migration of stored values for a declared state of a newer version, TTL kept', () => {
    const migrate = (v: unknown, from: number) => ({ n: v, from });
    const store = new KeyedStateStore(backend(), { restored: [saved], declared: [value({ version: 2, migrate, ttl: { ttlMs: 1000 } })] });
    expect(store.migrations.map((m) => m.table)).toEqual(['value/count']);
    expect(store.migrations[0]!.migrate({ v: 7, t: 5 })).toEqual({ v: { n: 7, from: 1 }, t: 5 });
  });

  it('records restored, declared and used states, the newer declaration winning', () => {
    const other: StateMetadata = { name: 'other', kind: 'map', serializer: 'msgpack', version: 1 };
    const store = new KeyedStateStore(backend(), { restored: [saved, other], declared: [value({ version: 2, migrate: (v) => v })] });
    store.getListState({ kind: 'list', name: 'seen' });
    expect(store.states()).toEqual([{ ...saved, version: 2 }, other, { name: 'seen', kind: 'list', serializer: 'msgpack', version: 1 }]);
  });
});
