import { ValidationError, type CoGroupFunction, type Collector, type JoinFunction } from '@weir/common';
import type { DataStream, KeySelector } from './data-stream.ts';
import type { WindowAssigner } from './windowing/window-assigners.ts';

/** A record of either input of a window join, tagged with its side (Flink's TaggedUnion). */
type Tagged<L, R> = { side: 0; value: L } | { side: 1; value: R };

/**
 * Groups two streams per key and window and calls `fn` with both sides'
 * records. As in Flink (CoGroupedStreams), the inputs are tagged, unioned,
 * keyed and windowed: window contents and timers are keyed state, and the
 * result's event time is the window's `maxTimestamp`.
 */
function coGroupWindow<L, R, K, O>(
  left: DataStream<L>,
  right: DataStream<R>,
  keys: Keys<L, R, K>,
  assigner: WindowAssigner<unknown>,
  allowedLatenessMs: number,
  name: string,
  fn: CoGroupFunction<L, R, O>,
): DataStream<O> {
  const [leftKey, rightKey] = keys;
  const tagged = left
    .map((value): Tagged<L, R> => ({ side: 0, value }))
    .name(`${name}(left)`)
    .union(right.map((value): Tagged<L, R> => ({ side: 1, value })).name(`${name}(right)`));
  const windowed = tagged.keyBy((t) => (t.side === 0 ? leftKey(t.value) : rightKey(t.value))).window(assigner);
  if (allowedLatenessMs > 0) windowed.allowedLateness(allowedLatenessMs);
  return windowed
    .process<O>((_key, _ctx, elements, out) => {
      const lefts: L[] = [];
      const rights: R[] = [];
      for (const e of elements) {
        if (e.side === 0) lefts.push(e.value);
        else rights.push(e.value);
      }
      fn(lefts, rights, out);
    })
    .name(name);
}

/** What `where(ka).equalTo(kb)` leads to: a window assigner's choice. */
export interface EqualTo<R, K, Next> {
  /** The key of the second stream's records; equal keys of both streams meet. */
  equalTo(rightKey: KeySelector<R, K>): { window<W>(assigner: WindowAssigner<W>): Next };
}

type Keys<L, R, K> = [KeySelector<L, K>, KeySelector<R, K>];

function whereEqualTo<L, R, K, Next>(leftKey: KeySelector<L, K>, make: (keys: Keys<L, R, K>, assigner: WindowAssigner<unknown>) => Next): EqualTo<R, K, Next> {
  if (typeof leftKey !== 'function') throw new ValidationError('where() takes a key selector of the first stream, e.g. (order) => order.id');
  return {
    equalTo: (rightKey) => {
      if (typeof rightKey !== 'function') throw new ValidationError('equalTo() takes a key selector of the second stream, e.g. (payment) => payment.orderId');
      return {
        window: (assigner) => {
          if (typeof assigner !== 'object' || assigner === null || !('spec' in assigner)) {
            throw new ValidationError('window() takes a window assigner, e.g. TumblingEventTimeWindows.of(10_000)');
          }
          return make([leftKey, rightKey], assigner as WindowAssigner<unknown>);
        },
      };
    },
  };
}

/** Two streams keyed and windowed alike, waiting for their function. */
abstract class WindowedPair<L, R, K> {
  private readonly left: DataStream<L>;
  private readonly right: DataStream<R>;
  private readonly keys: Keys<L, R, K>;
  private readonly assigner: WindowAssigner<unknown>;
  private latenessMs = 0;

  /** @internal Made by `where(...).equalTo(...).window(...)`. */
  constructor(left: DataStream<L>, right: DataStream<R>, keys: Keys<L, R, K>, assigner: WindowAssigner<unknown>) {
    this.left = left;
    this.right = right;
    this.keys = keys;
    this.assigner = assigner;
  }

  /** How long after a window's end (by the watermark) records still count; each re-fires the window (default 0). */
  allowedLateness(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw new ValidationError(`allowedLateness needs a number of ms >= 0, got ${ms}`);
    this.latenessMs = ms;
    return this;
  }

  protected run<O>(name: string, fn: CoGroupFunction<L, R, O>): DataStream<O> {
    return coGroupWindow(this.left, this.right, this.keys, this.assigner, this.latenessMs, name, fn);
  }
}

/** A window join with its window: `apply(JoinFunction)`. */
export class JoinWindow<L, R, K> extends WindowedPair<L, R, K> {
  /** Calls `fn` once per pair of a left and a right record of one key and window (nothing for a window with one side empty). */
  apply<O>(fn: JoinFunction<L, R, O>): DataStream<O> {
    if (typeof fn !== 'function') throw new ValidationError('apply() of a window join takes a JoinFunction (left, right) => result');
    return this.run<O>('WindowJoin', (lefts, rights, out: Collector<O>) => {
      for (const l of lefts) for (const r of rights) out.collect(fn(l, r));
    });
  }
}

/** A coGroup with its window: `apply(CoGroupFunction)`. */
export class CoGroupWindow<L, R, K> extends WindowedPair<L, R, K> {
  /** Calls `fn(lefts, rights, out)` once per key and window, also when one side is empty. */
  apply<O>(fn: CoGroupFunction<L, R, O>): DataStream<O> {
    if (typeof fn !== 'function') throw new ValidationError('apply() of a coGroup takes a CoGroupFunction (lefts, rights, out) => void');
    return this.run<O>('CoGroup', fn);
  }
}

/**
 * `a.join(b)` (Flink's JoinedStreams): an inner join per key and window.
 *
 * ```ts
 * persons.join(auctions).where((p) => p.id).equalTo((a) => a.seller)
 *   .window(TumblingEventTimeWindows.of(10_000))
 *   .apply((person, auction) => ({ id: person.id, name: person.name, reserve: auction.reserve }));
 * ```
 */
export class JoinedStreams<L, R> {
  private readonly left: DataStream<L>;
  private readonly right: DataStream<R>;

  /** @internal Use `a.join(b)`. */
  constructor(left: DataStream<L>, right: DataStream<R>) {
    this.left = left;
    this.right = right;
  }

  /** The key of the first stream's records. */
  where<K>(leftKey: KeySelector<L, K>): EqualTo<R, K, JoinWindow<L, R, K>> {
    return whereEqualTo<L, R, K, JoinWindow<L, R, K>>(leftKey, (keys, assigner) => new JoinWindow(this.left, this.right, keys, assigner));
  }
}

/** `a.coGroup(b)` (Flink's CoGroupedStreams): both sides' records per key and window, also when one side has none. */
export class CoGroupedStreams<L, R> {
  private readonly left: DataStream<L>;
  private readonly right: DataStream<R>;

  /** @internal Use `a.coGroup(b)`. */
  constructor(left: DataStream<L>, right: DataStream<R>) {
    this.left = left;
    this.right = right;
  }

  /** The key of the first stream's records. */
  where<K>(leftKey: KeySelector<L, K>): EqualTo<R, K, CoGroupWindow<L, R, K>> {
    return whereEqualTo<L, R, K, CoGroupWindow<L, R, K>>(leftKey, (keys, assigner) => new CoGroupWindow(this.left, this.right, keys, assigner));
  }
}
