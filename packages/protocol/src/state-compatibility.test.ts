// Tests of the state-by-state check of a savepoint against a job.
import { describe, expect, it } from 'vitest';
import type { JobGraph, OperatorDescriptor, StateMetadata } from '@weir/common';
import type { CheckpointMetadata } from './checkpoint-metadata.ts';
import { checkSavepointStates } from './state-compatibility.ts';

const count: StateMetadata = { name: 'count', kind: 'value', serializer: 'msgpack', version: 1 };
const timers: StateMetadata = { name: 'timers', kind: 'timers', serializer: 'msgpack', version: 1 };
const handle = { file: 'keyed-count-0.state', keyGroupRange: { start: 0, end: 127 }, bytes: 10, entries: 1, sha256: 'x' };

function savepoint(operators: Record<string, StateMetadata[]>): CheckpointMetadata {
  const entries = Object.entries(operators).map(([id, states]) => [id, { parallelism: 1, maxParallelism: 128, states, subtasks: [{ index: 0, keyedState: [handle], operatorState: [] }] }]);
  return { format: 'weir-checkpoint', version: 1, jobId: 'j', jobName: 'j', checkpointId: 3, savepoint: true, triggeredAtMs: 0, completedAtMs: 0, operators: Object.fromEntries(entries) };
}

function job(operators: Partial<OperatorDescriptor>[], maxParallelism = 128): JobGraph {
  return {
    version: 1,
    name: 'j',
    maxParallelism,
    vertices: operators.map((o) => ({ id: o.id!, name: o.id!, parallelism: 1, maxParallelism, operators: [{ name: o.id!, kind: 'keyed.process', config: {}, ...o } as OperatorDescriptor] })),
    edges: [],
    config: {} as JobGraph['config'],
  };
}

describe('checkSavepointStates', () => {
  it('maps a state declared alike, and says which are new', () => {
    const report = checkSavepointStates(savepoint({ count: [count, timers] }), job([{ id: 'count', states: [count, { ...count, name: 'seen' }] }, { id: 'other' }]), false);
    expect(report.problems).toEqual([]);
    expect(report.rows.map((r) => [r.operator, r.state, r.status])).toEqual([
      ['count', 'count', 'maps'],
      ['count', 'timers', 'maps'],
      ['count', 'seen', 'new'],
      ['other', 'timers', 'new'],
    ]);
  });

  it('keeps a state the job does not declare, to be checked when first used', () => {
    const report = checkSavepointStates(savepoint({ count: [count] }), job([{ id: 'count' }]), false);
    expect(report.problems).toEqual([]);
    expect(report.rows[0]).toMatchObject({ state: 'count', status: 'kept' });
  });

  it('fails a kind change, naming operator, state, both sides and the way out', () => {
    const report = checkSavepointStates(savepoint({ count: [count] }), job([{ id: 'count', states: [{ ...count, kind: 'list' }] }]), false);
    expect(report.rows[0]).toMatchObject({ status: 'incompatible', savepoint: count, job: { kind: 'list' } });
    expect(report.problems).toEqual([
      "StateMigrationError: operator 'count', state 'count': the checkpoint has value state, msgpack, version 1, the job declares list state, msgpack, version 1; " +
        'the kind changed from value to list: a state keeps its kind; keep the value state descriptor, or give the new state another name',
    ]);
  });

  it('fails a serializer change', () => {
    const report = checkSavepointStates(savepoint({ count: [count] }), job([{ id: 'count', states: [{ ...count, serializer: 'json' }] }]), false);
    expect(report.problems[0]).toContain('the serializer changed from msgpack to json');
    expect(report.problems[0]).toContain("keep serializer 'msgpack'");
  });

  it('fails a version change without a migration, and migrates with one', () => {
    const v2 = { ...count, version: 2 };
    const without = checkSavepointStates(savepoint({ count: [count] }), job([{ id: 'count', states: [v2] }]), false);
    expect(without.problems[0]).toContain('the version changed from 1 to 2 without a migration: give the descriptor migrate');
    const migrating = checkSavepointStates(savepoint({ count: [count] }), job([{ id: 'count', states: [{ ...v2, migrates: true }] }]), false);
    expect(migrating.problems).toEqual([]);
    expect(migrating.rows[0]).toMatchObject({ status: 'migrates' });
  });

  it('fails a savepoint of a newer version, even with a migration', () => {
    const report = checkSavepointStates(savepoint({ count: [{ ...count, version: 3 }] }), job([{ id: 'count', states: [{ ...count, version: 2, migrates: true }] }]), false);
    expect(report.problems[0]).toContain('the savepoint holds version 3, newer than the job');
  });

  it('fails state of an operator the job does not have, unless it may be dropped', () => {
    const strict = checkSavepointStates(savepoint({ gone: [count] }), job([{ id: 'count' }]), false);
    expect(strict.rows[0]).toMatchObject({ operator: 'gone', state: 'count', status: 'dropped' });
    expect(strict.problems).toEqual([
      "the savepoint has state for operator 'gone', which the job does not have: give the operator its old .uid(), or pass --allow-non-restored-state to drop that state",
    ]);
    const allowed = checkSavepointStates(savepoint({ gone: [count] }), job([{ id: 'count' }]), true);
    expect(allowed.problems).toEqual([]);
    expect(allowed.rows[0]).toMatchObject({ status: 'dropped', reason: "the job has no operator 'gone': its state is not restored (--allow-non-restored-state)" });
  });

  it('fails keyed state whose number of key groups changed', () => {
    const report = checkSavepointStates(savepoint({ count: [count] }), job([{ id: 'count' }], 64), false);
    expect(report.problems[0]).toContain("operator 'count' has keyed state in 128 key groups but the job gives it maxParallelism 64");
  });

  it('reads a savepoint written before states were recorded', () => {
    const old = savepoint({ gone: [] });
    delete old.operators['gone']!.states;
    const report = checkSavepointStates(old, job([{ id: 'count' }]), false);
    expect(report.rows[0]).toMatchObject({ operator: 'gone', state: '(state)', status: 'dropped' });
    expect(report.problems).toHaveLength(1);
  });
});
