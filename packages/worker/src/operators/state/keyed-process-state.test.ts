import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  keyToString,
  type AggregatingStateDescriptorSpec,
  type KeyedProcessFunction,
  type ListStateDescriptorSpec,
  type MapStateDescriptorSpec,
  type OperatorDescriptor,
  type ReducingStateDescriptorSpec,
} from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainedOperator, OperatorContext } from '../../runtime/operator.ts';
import { RocksDBKeyedStateBackend } from '../../state-backends/rocksdb-keyed-state-backend.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { keyedProcessOperator } from '../keyed-process.ts';
import { testOperatorContext } from '../../testing/operator-context.ts';

interface Click {
  user: number;
  page: string;
  ms: number;
}

interface Report {
  user: number;
  lastPages: string[];
  perPage: [string, number][];
  clicks: number;
  avgMs: number;
}

const OPERATOR_ID = 'keyed-process-1';

function context(fn: KeyedProcessFunction<number, Click, Report>): OperatorContext {
  const descriptor: OperatorDescriptor = { id: OPERATOR_ID, name: 'Sessions', kind: 'keyed.process', fn: `${OPERATOR_ID}/fn`, config: {} };
  return testOperatorContext({ descriptor, fn, keySelector: (record) => (record as Click).user, stateBackend: 'rocksdb' });
}

// Descriptors created inside the job module, as users do.
const lastPages: ListStateDescriptorSpec<string> = { kind: 'list', name: 'last-pages' };
const perPage: MapStateDescriptorSpec<string, number> = { kind: 'map', name: 'per-page', keyType: 'string', ttl: { ttlMs: 10_000 } };
const clicks: ReducingStateDescriptorSpec<number> = { kind: 'reducing', name: 'clicks', reduceFunction: (a, b) => a + b };
const avgMs: AggregatingStateDescriptorSpec<number, [number, number], number> = {
  kind: 'aggregating',
  name: 'avg-ms',
  aggregateFunction: {
    createAccumulator: () => [0, 0],
    add: (ms, acc) => [acc[0] + ms, acc[1] + 1],
    getResult: ([sum, n]) => sum / n,
  },
};

const sessions: KeyedProcessFunction<number, Click, Report> = {
  processElement(click, ctx, out) {
    const pages = ctx.getListState(lastPages);
    pages.add(click.page);
    const recent = pages.get();
    if (recent.length > 3) pages.update(recent.slice(-3));
    const views = ctx.getMapState(perPage);
    views.put(click.page, (views.get(click.page) ?? 0) + 1);
    ctx.getReducingState(clicks).add(1);
    ctx.getAggregatingState(avgMs).add(click.ms);
    out.collect({
      user: ctx.currentKey,
      lastPages: pages.get(),
      perPage: views.entries(),
      clicks: ctx.getReducingState(clicks).get()!,
      avgMs: ctx.getAggregatingState(avgMs).get()!,
    });
  },
};

let root: string;
let backend: RocksDBKeyedStateBackend;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-keyed-process-state-'));
  backend = await RocksDBKeyedStateBackend.open({ directory: join(root, 'db'), keyGroupRange: { start: 0, end: 127 }, maxParallelism: 128, cacheEntries: 0 });
});

afterEach(async () => {
  await backend.close();
  await rm(root, { recursive: true, force: true });
});

/** Runs one batch as StreamTask does with a RocksDB backend: prefetch the batch's keys, process, flush. */
async function batch(op: ChainedOperator, records: Click[]): Promise<void> {
  await backend.prefetch(records.map((r) => keyToString(r.user)));
  for (const record of records) op.process(record);
  await backend.flush();
}

describe('keyed process function with list, map, reducing and aggregating state', () => {
  it('scopes every state to the record key across batches on the RocksDB backend', async () => {
    const out: Report[] = [];
    let now = 0;
    const op = keyedProcessOperator(context(sessions), (r) => out.push(r as Report), backend, { clock: () => now });
    op.open?.();
    const click = (user: number, page: string, ms: number): Click => ({ user, page, ms });
    await batch(op, [click(1, 'home', 10), click(2, 'cart', 100), click(1, 'docs', 20)]);
    await batch(op, [click(1, 'home', 30), click(1, 'blog', 40)]);
    now = 9_000;
    await batch(op, [click(2, 'cart', 300)]);
    // user 1's page map was last written at 0: expired at 10 s; user 2's was refreshed at 9 s.
    now = 12_000;
    await batch(op, [click(1, 'faq', 50), click(2, 'home', 200)]);

    const last = (user: number): Report => out.filter((r) => r.user === user).at(-1)!;
    expect(out).toHaveLength(8);
    expect(last(1)).toEqual({
      user: 1,
      lastPages: ['home', 'blog', 'faq'],
      perPage: [['faq', 1]],
      clicks: 5,
      avgMs: 30,
    });
    expect(last(2)).toEqual({
      user: 2,
      lastPages: ['cart', 'cart', 'home'],
      perPage: [
        ['cart', 2],
        ['home', 1],
      ],
      clicks: 3,
      avgMs: 200,
    });
    expect(out[3]).toEqual({ user: 1, lastPages: ['home', 'docs', 'home'], perPage: [['home', 2], ['docs', 1]], clicks: 3, avgMs: 20 });
  });

  it('reports a state misuse as a failure of the user function, naming the operator and the state', async () => {
    const misuse: KeyedProcessFunction<number, Click, Report> = {
      processElement(click, ctx) {
        ctx.getListState(lastPages).add(click.page);
        ctx.getMapState({ kind: 'map', name: 'last-pages', keyType: 'string' });
      },
    };
    const op = keyedProcessOperator(context(misuse), () => undefined, backend);
    await expect(batch(op, [{ user: 1, page: 'home', ms: 1 }])).rejects.toThrow(UserFunctionError);
    await expect(batch(op, [{ user: 1, page: 'home', ms: 1 }])).rejects.toThrow(
      /user function of operator 'Sessions' \(keyed-process-1\), subtask 0, threw: keyed state 'last-pages' is used as both ListState and MapState/,
    );
  });
});
